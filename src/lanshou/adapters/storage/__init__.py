"""Evidence file storage: content-addressed by SHA-256, behind one small interface.

    EvidenceStorage (Protocol)
    ├── DatabaseStorage         chunked rows in the database, shared by every server (default)
    ├── LocalDirectoryStorage   files under ``<var_dir>/evidence/ab/cd/<sha256>`` (one machine)
    └── S3Storage               any S3-compatible bucket, only when boto3 is installed

Type sniffing (:mod:`.sniff`) and EXIF extraction (:mod:`.exif`) live beside them.
"""

from __future__ import annotations

from lanshou.adapters.storage.base import EvidenceStorage, StoredObject, sha256_of
from lanshou.adapters.storage.database import DatabaseStorage
from lanshou.adapters.storage.local import LocalDirectoryStorage
from lanshou.adapters.storage.s3 import S3Storage, StorageUnavailable

__all__ = [
    "DatabaseStorage",
    "EvidenceStorage",
    "LocalDirectoryStorage",
    "S3Storage",
    "StorageUnavailable",
    "StoredObject",
    "sha256_of",
]
