"""The interface every store keeps: objects named by key, each with its size and SHA-256.

Events and read models name objects by key and checksum, never by a machine's path, so a
worker on another machine can fetch what it needs with nothing shared but the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class StoredObject(BaseModel):
    """An object as the store holds it."""

    model_config = ConfigDict(frozen=True)

    key: str
    size: int
    sha256: str


class StorageError(Exception):
    """A store could not do what was asked; the message is a sentence for the user."""


class ObjectMissing(StorageError):
    """No object under that key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the store holds no object {key!r}")
        self.key = key


class KeyRefused(StorageError):
    """A key that could name something outside the store (`..`, absolute, odd characters)."""


class StorageUnavailable(StorageError):
    """The store did not answer (S3 endpoint down, credentials refused, bucket missing)."""


class ObjectStore(Protocol):
    """Put, fetch, stat, delete and list objects; serve them to the API's downloads."""

    @property
    def url(self) -> str:
        """Where the store is, for logs and messages (file:///… or s3://bucket/prefix)."""
        ...

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> StoredObject:
        """Store a local file under key (multipart for large files), replacing any object."""
        ...

    def fetch(self, key: str, dest: Path) -> StoredObject:
        """Copy the object to dest atomically (dest appears whole or not at all)."""
        ...

    def stat(self, key: str) -> StoredObject | None:
        """The object's size and checksum, or None when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing one is not an error."""
        ...

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object whose key starts with prefix."""
        ...

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the object, in chunks, for a streamed download."""
        ...

    def download_url(self, key: str, filename: str, expires_s: int) -> str | None:
        """A short-lived URL a client may GET the object from, or None to stream it."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's own file when the store is this machine's disk, else None."""
        ...
