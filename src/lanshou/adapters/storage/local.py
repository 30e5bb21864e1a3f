"""Evidence files in a local directory, written atomically (temp file + rename)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lanshou.adapters.storage.base import CHUNK_BYTES, StoredObject, check_key, sha256_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class LocalDirectoryStorage:
    """Blobs at ``root/ab/cd/<sha256>``; two levels of fan-out keep directories small."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        key = check_key(sha256)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> StoredObject:
        sha = sha256_of(data)
        path = self._path(sha)
        if path.exists():
            return StoredObject(sha, len(data), created=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredObject(sha, len(data), created=True)

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise FileNotFoundError(f"evidence blob {sha256} is missing from {self.root}")
        return path.read_bytes()

    def chunks(self, sha256: str) -> Iterator[bytes]:
        path = self._path(sha256)
        try:
            fh = path.open("rb")
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"evidence blob {sha256} is missing from {self.root}") from exc
        with fh:
            while piece := fh.read(CHUNK_BYTES):
                yield piece

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def within(self, session: Session) -> LocalDirectoryStorage:
        return self  # nothing of it lives in the database
