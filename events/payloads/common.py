"""Small value types shared by several payloads."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from events.bounds import INT32_MAX, INT64_MAX
from events.ids import Id

# Relative '/'-separated segments of letters, digits, '.', '_' and '-'. A consumer still
# confines a key before use (storage.keys.check_key refuses '..' and other escapes).
ObjectKey = Annotated[
    str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ObjectRef(BaseModel):
    """An object in the service's store (a folder or an S3 bucket), by key and checksum:
    what a worker on any machine fetches, never a machine's path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: ObjectKey
    sha256: Sha256Hex
    size: int = Field(ge=0, le=INT64_MAX)


class ProxyRef(ObjectRef):
    """A proxy made at upload time for one output size: the source pre-shaped for it."""

    width: int = Field(ge=160, le=3840)
    height: int = Field(ge=120, le=2160)
    # The proxy recipe's version (engine.proxy.PROXY_VERSION); another recipe is not used.
    recipe: int = Field(ge=1, le=INT32_MAX)


class SourceType(StrEnum):
    """Where a clip's pixels came from, in fallback order."""

    REMOTE = "remote"
    LOCAL = "local"
    PLACEHOLDER = "placeholder"


class FailureReason(StrEnum):
    """Why a clip source failed; the agents map each to a retry or a fallback."""

    CDN_ERROR = "cdn_error"
    TIMEOUT = "timeout"
    DECODE_ERROR = "decode_error"
    NOT_FOUND = "not_found"
    NO_CANDIDATES = "no_candidates"
    CANCELLED = "cancelled"
    # A pool process died under the task (killed, out of memory, a crash in a decoder).
    WORKER_CRASH = "worker_crash"
    # No space left where the clip is written: no other source or placeholder would fit, so
    # the task fails at once and its render fails with the same reason.
    DISK_FULL = "disk_full"
    # A local path outside the media and artifacts roots, or a remote URL that is not
    # http(s) to a public address or an allowed host: never read, never fetched.
    PATH_OUTSIDE_ROOT = "path_outside_root"
    SOURCE_REFUSED = "source_refused"
    INTERNAL = "internal"


class MediaSource(BaseModel):
    """One media asset as the render sees it: where to fetch it and what it is; `stored`
    names it in the store, `proxies` the proxies made for it at upload time."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    asset_id: Id
    media_type: str = Field(pattern="^(image|video)$")
    checksum: str = Field(min_length=1)
    remote_url: str | None = None
    local_path: str | None = None
    duration_ms: int | None = Field(default=None, ge=0, le=INT32_MAX)
    width: int | None = Field(default=None, ge=1, le=INT32_MAX)
    height: int | None = Field(default=None, ge=1, le=INT32_MAX)
    rotation: int = Field(default=0, ge=-360, le=360)
    display_aspect_ratio: float | None = Field(default=None, gt=0)
    fps: float | None = Field(default=None, gt=0)
    # The name the user gave the file, so a render can say which file it could not show.
    file_name: str | None = Field(default=None, min_length=1, max_length=255)

    stored: ObjectRef | None = None
    proxies: list[ProxyRef] = Field(default_factory=list, max_length=8)


class OutputSettings(BaseModel):
    """Output frame size, rate and quality preset of a render."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    width: int = Field(ge=160, le=3840)
    height: int = Field(ge=120, le=2160)
    fps: int = Field(ge=12, le=60)
    quality: str = Field(default="final", pattern="^(preview|final)$")
