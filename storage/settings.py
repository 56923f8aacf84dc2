"""Where objects are kept and how workers cache them, from BEATSTITCH_* environment variables."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.keys import check_key
from storage.object_store import KeyRefused

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class FileLocation:
    """A folder on this machine."""

    root: Path


@dataclass(frozen=True)
class S3Location:
    """A bucket of an S3-compatible store, and the key prefix of our objects in it."""

    bucket: str
    prefix: str


def bucket_refusal(bucket: str) -> str | None:
    """Why S3 would refuse this bucket name, or None when it follows S3's naming rules."""
    if not _BUCKET.fullmatch(bucket):
        return (
            "3 to 63 lower-case letters, digits, '.' and '-', "
            "beginning and ending with a letter or digit"
        )
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        return "no '..', '.-' or '-.'"
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        pass
    else:
        return "not an IP address"
    if bucket.startswith(("xn--", "sthree-")) or bucket.endswith(("-s3alias", "--ol-s3")):
        return "not starting with 'xn--' or 'sthree-', not ending in '-s3alias' or '--ol-s3'"
    return None


def parse_storage_url(url: str) -> FileLocation | S3Location | None:
    """The location BEATSTITCH_STORAGE_URL names (None: the local folders); ValueError with
    a sentence naming the setting when it names none we can use."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(
                f"BEATSTITCH_STORAGE_URL {url!r} is not a folder: write file:///absolute/path"
            )
        return FileLocation(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        refusal = bucket_refusal(parts.netloc)
        if refusal is not None:
            raise ValueError(
                f"BEATSTITCH_STORAGE_URL {url!r} names the bucket {parts.netloc!r}, "
                f"which S3 refuses: a bucket name is {refusal}"
            )
        prefix = parts.path.strip("/")
        if prefix:
            try:
                check_key(prefix)
            except KeyRefused as exc:
                raise ValueError(
                    f"BEATSTITCH_STORAGE_URL {url!r} has a prefix that is no key: {exc}"
                ) from None
        return S3Location(parts.netloc, prefix)
    raise ValueError(
        f"BEATSTITCH_STORAGE_URL {url!r} is neither file:///path nor s3://bucket/prefix "
        "(leave it empty for the local folders)"
    )


class StorageSettings(BaseSettings):
    """Which store keeps media and renders, and each worker's local cache of it."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    # Empty: the local folders, as without a store; file:///path: one folder; or
    # s3://bucket/prefix: an S3-compatible store (MinIO, S3Proxy, AWS) every machine reaches.
    storage_url: str = ""
    # The S3 endpoint (http://127.0.0.1:9000 for MinIO or S3Proxy); unset: AWS's own.
    s3_endpoint_url: str | None = None
    # The endpoint download URLs name, for clients outside the services' network (Docker
    # Compose: http://localhost:9000 while the services reach http://minio:9000); unset: the
    # endpoint above.
    s3_public_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    # The folder of local state (events/settings.py reads it too); the cache's default is in it.
    data_dir: Path = Path(".data")
    # Workers' local copies of stored media, by checksum; least recently used go first.
    storage_cache_dir: Path = Field(default_factory=lambda data: Path(data["data_dir"]) / "cache")
    storage_cache_max_bytes: int = Field(default=5 * 1024**3, ge=64 * 1024**2)
    # How long a download URL the API hands out (S3 only) stays valid.
    presigned_url_ttl_s: int = Field(default=300, ge=10, le=3600)

    @field_validator("storage_url")
    @classmethod
    def _known_location(cls, url: str) -> str:
        parse_storage_url(url)
        return url

    @field_validator("s3_endpoint_url", "s3_public_endpoint_url")
    @classmethod
    def _http_endpoint(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None or url == "":
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            name = f"BEATSTITCH_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} {url!r} is not an http:// or https:// address")
        return url

    @model_validator(mode="after")
    def _s3_has_credentials(self) -> StorageSettings:
        if isinstance(self.location(), S3Location) and not (
            self.s3_access_key_id and self.s3_secret_access_key.get_secret_value()
        ):
            raise ValueError(
                f"BEATSTITCH_STORAGE_URL {self.storage_url!r} is an S3 store: set "
                "BEATSTITCH_S3_ACCESS_KEY_ID and BEATSTITCH_S3_SECRET_ACCESS_KEY too"
            )
        return self

    def location(self) -> FileLocation | S3Location | None:
        """Where storage_url points (None: the local folders)."""
        return parse_storage_url(self.storage_url)
