"""Evidence file contents in the database, so every app server reads what any of them stored.

Content-addressed like the directory store: one ``evidence_blobs`` row per SHA-256, the bytes in
``evidence_blob_chunks`` of at most 1 MiB each, so no statement carries or returns a whole
20 MB photo and a reader can stream them in order.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base


class EvidenceBlob(Base):
    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    chunk_count: Mapped[int] = mapped_column(Integer)


class EvidenceBlobChunk(Base):
    __tablename__ = "evidence_blob_chunks"

    sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("evidence_blobs.sha256", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    # bytea on PostgreSQL, BLOB on SQLite
    data: Mapped[bytes] = mapped_column(LargeBinary)
