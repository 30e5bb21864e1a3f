"""Evidence in an S3-compatible bucket (AWS, MinIO, OSS …), written against boto3's client API.

boto3 is optional: without it, constructing :class:`S3Storage` raises :class:`StorageUnavailable`
with the fix, and nothing else in lanshou needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lanshou.adapters.storage.base import CHUNK_BYTES, StoredObject, check_key, sha256_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class StorageUnavailable(RuntimeError):
    """The configured storage backend cannot be used (e.g. boto3 is not installed)."""


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "evidence/",
        client: Any = None,
        endpoint_url: str | None = None,
    ) -> None:
        if client is None:
            try:
                boto3 = importlib.import_module("boto3")
            except ImportError as exc:
                raise StorageUnavailable(
                    "S3Storage needs boto3, which is not installed: pip install boto3"
                ) from exc
            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}{check_key(sha256)}"

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except Exception as exc:  # botocore.exceptions.ClientError; botocore may be absent
            status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or getattr(exc, "response", {}).get("Error", {}).get("Code") in (
                "404",
                "NoSuchKey",
                "NotFound",
            ):
                return False
            raise
        return True

    def put(self, data: bytes) -> StoredObject:
        sha = sha256_of(data)
        if self.exists(sha):
            return StoredObject(sha, len(data), created=False)
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(sha), Body=data, ChecksumAlgorithm="SHA256"
        )
        return StoredObject(sha, len(data), created=True)

    def get(self, sha256: str) -> bytes:
        response = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
        body: bytes = response["Body"].read()
        return body

    def chunks(self, sha256: str) -> Iterator[bytes]:
        response = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
        body = response["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def within(self, session: Session) -> S3Storage:
        return self  # nothing of it lives in the database
