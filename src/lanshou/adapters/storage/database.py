"""Evidence in the database: every app server and worker sees the same files.

Blobs are written in the caller's transaction when the store is bound to a session
(:meth:`DatabaseStorage.within`), so an evidence row and its bytes commit or roll back
together, and SQLite (one writer) never waits on a second connection of the same request.
Unbound, each call runs in a transaction of its own (the ``lanshou evidence`` commands).

Files stored on a local disk before the database store existed are still read through the
``fallback`` directory store until ``lanshou evidence import-files`` has moved them in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Insert, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lanshou.adapters.db.models.blobs import EvidenceBlob, EvidenceBlobChunk
from lanshou.adapters.storage.base import (
    CHUNK_BYTES,
    EvidenceStorage,
    StoredObject,
    check_key,
    sha256_of,
)


class DatabaseStorage:
    """Content-addressed blobs in ``evidence_blobs`` / ``evidence_blob_chunks``."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        fallback: EvidenceStorage | None = None,
        session: Session | None = None,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.engine = engine
        self.fallback = fallback
        self._session = session
        self.chunk_bytes = chunk_bytes

    def __repr__(self) -> str:
        return f"DatabaseStorage(fallback={self.fallback!r})"

    def within(self, session: Session) -> DatabaseStorage:
        return DatabaseStorage(
            self.engine, fallback=self.fallback, session=session, chunk_bytes=self.chunk_bytes
        )

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        if self._session is not None:
            yield self._session.connection()
        elif self.engine is None:
            raise RuntimeError("DatabaseStorage needs a session (within) or an engine")
        else:
            with self.engine.begin() as conn:
                yield conn

    def put(self, data: bytes) -> StoredObject:
        sha = sha256_of(data)
        return self.put_verified(sha, data)

    def put_verified(self, sha: str, data: bytes) -> StoredObject:
        """Store ``data`` whose SHA-256 the caller has just computed (no second hash)."""
        check_key(sha)
        size = len(data)
        count = max(1, -(-size // self.chunk_bytes))
        with self._connection() as conn:
            # Two servers storing the same bytes at once: the second waits for the first's
            # commit and then inserts nothing (no error that would abort its transaction).
            # (RETURNING, not rowcount: the driver's rowcount is -1 here on PostgreSQL.)
            head = (
                _insert_ignoring_duplicate(conn)
                .values(sha256=sha, size_bytes=size, chunk_count=count)
                .returning(EvidenceBlob.sha256)
            )
            if conn.execute(head).first() is None:
                return StoredObject(sha, size, created=False)
            view = memoryview(data)
            for seq in range(count):
                piece = view[seq * self.chunk_bytes : (seq + 1) * self.chunk_bytes]
                conn.execute(
                    insert(EvidenceBlobChunk).values(sha256=sha, seq=seq, data=bytes(piece))
                )
        return StoredObject(sha, size, created=True)

    def _size(self, conn: Connection, sha: str) -> int | None:
        size: int | None = conn.execute(
            select(EvidenceBlob.size_bytes).where(EvidenceBlob.sha256 == sha)
        ).scalar_one_or_none()
        return size

    def get(self, sha256: str) -> bytes:
        return b"".join(self.chunks(sha256))

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The blob's bytes in order, one chunk (one point query) at a time: a file of up to
        one chunk is one query, and no server-side cursor is opened for a larger one. Bound
        to a session, the queries run in its transaction; unbound, each runs in a short one
        of its own, so a response streaming a file to a slow client holds no connection while
        it waits (chunks are content-addressed, never rewritten)."""
        sha = check_key(sha256)
        with self._connection() as conn:
            first = conn.execute(
                select(EvidenceBlob.chunk_count, EvidenceBlobChunk.data)
                .join(EvidenceBlobChunk, EvidenceBlobChunk.sha256 == EvidenceBlob.sha256)
                .where(EvidenceBlob.sha256 == sha, EvidenceBlobChunk.seq == 0)
            ).first()
        if first is None:
            if self.fallback is not None and self.fallback.exists(sha):
                yield from self.fallback.chunks(sha)
                return
            raise FileNotFoundError(f"evidence blob {sha} is not in the database")
        count, piece = first
        yield bytes(piece)
        del first, piece
        for seq in range(1, count):
            with self._connection() as conn:
                piece = conn.execute(
                    select(EvidenceBlobChunk.data).where(
                        EvidenceBlobChunk.sha256 == sha, EvidenceBlobChunk.seq == seq
                    )
                ).scalar_one()
            yield bytes(piece)
            del piece

    def exists(self, sha256: str) -> bool:
        sha = check_key(sha256)
        with self._connection() as conn:
            if self._size(conn, sha) is not None:
                return True
        return self.fallback is not None and self.fallback.exists(sha)

    def count(self) -> int:
        with self._connection() as conn:
            return int(conn.execute(select(func.count()).select_from(EvidenceBlob)).scalar_one())


def _insert_ignoring_duplicate(conn: Connection) -> Insert:
    if conn.dialect.name == "postgresql":
        return pg_insert(EvidenceBlob).on_conflict_do_nothing(index_elements=["sha256"])
    return sqlite_insert(EvidenceBlob).on_conflict_do_nothing(index_elements=["sha256"])
