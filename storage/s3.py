"""S3Store: the object store in an S3-compatible bucket (AWS S3, MinIO, S3Proxy).

Each object carries its SHA-256 as user metadata `sha256`, computed before the upload (so
a multipart upload carries it too); fetch verifies size and checksum before the file
appears. Keys live under an optional prefix of the bucket (BEATSTITCH_STORAGE_URL
s3://bucket/prefix).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from storage.keys import check_key
from storage.object_store import StorageError, StorageUnavailable, StoredObject
from storage.s3_client import error_code, s3_client, storage_error

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MULTIPART_THRESHOLD = 8 * 1024 * 1024
_CHUNK = 1024 * 1024
_STREAM_CHUNK = 64 * 1024
_BOTO_ERRORS = (BotoCoreError, ClientError, S3UploadFailedError)


def content_disposition(filename: str) -> str:
    """An attachment header naming filename, with an ASCII fallback for old clients."""
    fallback = re.sub(r"[^A-Za-z0-9._\- ]", "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def sha256_of(path: Path) -> tuple[int, str]:
    """Size and SHA-256 (hex) of a local file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class S3Store:
    """Objects in one bucket (under an optional prefix), each with its size and SHA-256."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None,
        region: str,
        access_key: str,
        secret_key: str,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        client: S3Client | None = None,
        public_endpoint_url: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint_url or f"AWS S3 ({region})"
        self.client = client or s3_client(endpoint_url, region, access_key, secret_key)
        # A signature covers the host, so URLs for clients elsewhere are signed for theirs
        # (offline: presigning sends no request).
        self.presigner = (
            s3_client(public_endpoint_url, region, access_key, secret_key)
            if public_endpoint_url
            else self.client
        )
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_threshold,
            max_concurrency=4,
        )

    @property
    def url(self) -> str:
        """s3://bucket/prefix."""
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _name(self, key: str) -> str:
        """The S3 object name of a store key."""
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, exc: Exception, key: str | None = None) -> StorageError:
        """The StorageError a botocore failure means."""
        if isinstance(exc, S3UploadFailedError):
            # boto3 wraps the ClientError of a failed upload without chaining it as cause.
            inner = exc.__cause__ or exc.__context__
            exc = inner if isinstance(inner, Exception) else exc
        return storage_error(
            exc, endpoint=self.endpoint, bucket=self.bucket, store_url=self.url, key=key
        )

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> StoredObject:
        """Store a local file under key (multipart above the threshold), replacing any object."""
        name = self._name(key)
        size, sha256 = sha256_of(source)
        extra: dict[str, Any] = {"Metadata": {"sha256": sha256}}
        if content_type:
            extra["ContentType"] = content_type
        try:
            self.client.upload_file(
                str(source), self.bucket, name, ExtraArgs=extra, Config=self.transfer
            )
        except _BOTO_ERRORS as exc:
            raise self._error(exc, key) from exc
        return StoredObject(key=key, size=size, sha256=sha256)

    def fetch(self, key: str, dest: Path) -> StoredObject:
        """Download to a file beside dest, verify size and SHA-256, then move it into place."""
        name = self._name(key)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
            digest = hashlib.sha256()
            size = 0
            with tmp.open("wb") as out:
                for chunk in answer["Body"].iter_chunks(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        except _BOTO_ERRORS as exc:
            tmp.unlink(missing_ok=True)
            raise self._error(exc, key) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        got = digest.hexdigest()
        # An object another tool wrote has no recorded checksum: the one computed stands.
        want = answer.get("Metadata", {}).get("sha256", got)
        if size != answer["ContentLength"] or got != want:
            tmp.unlink(missing_ok=True)
            raise StorageError(
                f"the object {key!r} in {self.url} arrived damaged ({size} bytes, SHA-256 "
                f"{got}; the store recorded {answer['ContentLength']} bytes, {want}); the "
                "download was discarded."
            )
        os.replace(tmp, dest)
        return StoredObject(key=key, size=size, sha256=got)

    def stat(self, key: str) -> StoredObject | None:
        """Size and SHA-256 from a HEAD request, or None when there is no such object."""
        return self._head(self._name(key), key)

    def _head(self, name: str, key: str) -> StoredObject | None:
        """HEAD one object by its S3 name; None when it is missing (and the bucket is not)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                self._check_bucket()
                return None
            raise self._error(exc, key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, key) from exc
        # An object another tool wrote has no recorded checksum: "" says so.
        sha256 = head.get("Metadata", {}).get("sha256", "")
        return StoredObject(key=key, size=head["ContentLength"], sha256=sha256)

    def _check_bucket(self) -> None:
        """Raise StorageUnavailable when the bucket itself is missing (HEAD says only 404)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) in {"404", "NoSuchBucket", "NotFound"}:
                raise StorageUnavailable(
                    f"the S3 endpoint {self.endpoint} has no bucket {self.bucket!r}; create "
                    "it, or fix the bucket in BEATSTITCH_STORAGE_URL."
                ) from exc
            raise self._error(exc) from exc
        except BotoCoreError as exc:
            raise self._error(exc) from exc

    def delete(self, key: str) -> None:
        """Remove the object; S3 answers a delete of a missing object with success too."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except _BOTO_ERRORS as exc:
            raise self._error(exc, key) from exc

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object whose key starts with prefix (one HEAD each, for its checksum)."""
        base = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base + prefix
        )
        try:
            for page in pages:
                for entry in page.get("Contents", []):
                    if entry["Key"].endswith("/"):
                        continue  # a folder marker (S3Proxy's filesystem lists its folders)
                    found = self._head(entry["Key"], entry["Key"].removeprefix(base))
                    if found is not None:  # deleted between the listing and the HEAD
                        yield found
        except _BOTO_ERRORS as exc:
            raise self._error(exc) from exc

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the object, streamed in chunks."""
        try:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=self._name(key), Range=f"bytes={start}-{end}"
            )
            with contextlib.closing(answer["Body"]) as body:
                yield from body.iter_chunks(_STREAM_CHUNK)
        except _BOTO_ERRORS as exc:
            raise self._error(exc, key) from exc

    def download_url(self, key: str, filename: str, expires_s: int) -> str | None:
        """A presigned GET (the browser saves it as filename), valid for expires_s seconds."""
        try:
            return self.presigner.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._name(key),
                    "ResponseContentDisposition": content_disposition(filename),
                },
                ExpiresIn=expires_s,
            )
        except _BOTO_ERRORS as exc:
            raise self._error(exc, key) from exc

    def local_path(self, key: str) -> Path | None:
        """None: the objects are not on this machine's disk."""
        return None
