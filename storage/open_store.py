"""The store the settings name: a folder on this machine or an S3-compatible store."""

from __future__ import annotations

from pathlib import Path

from storage.filesystem import FilesystemStore
from storage.object_store import ObjectStore
from storage.settings import FileLocation, StorageSettings


def open_store(settings: StorageSettings, default_root: Path) -> ObjectStore:
    """The store of BEATSTITCH_STORAGE_URL; default_root when it is empty (the local folders)."""
    location = settings.location()
    if location is None:
        return FilesystemStore(default_root)
    if isinstance(location, FileLocation):
        return FilesystemStore(location.root)
    # The S3 backend is imported only when asked for: the folder default never loads boto3.
    from storage.s3 import S3Store

    return S3Store(
        bucket=location.bucket,
        prefix=location.prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key_id,
        secret_key=settings.s3_secret_access_key.get_secret_value(),
        public_endpoint_url=settings.s3_public_endpoint_url,
    )
