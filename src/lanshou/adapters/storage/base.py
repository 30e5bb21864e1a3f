"""The storage interface every adapter implements."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_SHA = re.compile(r"^[0-9a-f]{64}$")
# How much of a blob is in memory at once when it is read as a stream (and the size of the
# database store's chunk rows).
CHUNK_BYTES = 1024 * 1024


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_key(sha256: str) -> str:
    """Keys are hex digests only, so a key can never name a path outside the store."""
    if not _SHA.match(sha256):
        raise ValueError(f"not a SHA-256 key: {sha256!r}")
    return sha256


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    created: bool  # False when identical content was already stored (deduplicated)


class EvidenceStorage(Protocol):
    """Content-addressed blobs: the same bytes are stored once, under their SHA-256."""

    def put(self, data: bytes) -> StoredObject: ...

    def get(self, sha256: str) -> bytes: ...

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The blob's bytes in order, a piece of at most about ``CHUNK_BYTES`` at a time, so a
        reader that streams them never holds the whole file (nor two copies of it). A missing
        blob raises :class:`FileNotFoundError` at the first ``next()``."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def within(self, session: Session) -> EvidenceStorage:
        """The store to use inside ``session``'s transaction: a database store writes there,
        a store outside the database returns itself."""
        ...
