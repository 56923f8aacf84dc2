"""Upload-time proxy payloads, keyed by asset on the analysis topic: after an upload the API
asks for the asset's proxy (a video or still pre-shaped for the project's output size, or
the song as AAC), a worker makes it, keeps it in the store and reports it."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from events.base import Payload
from events.ids import Id
from events.payloads.common import ObjectRef, ProxyRef
from events.topics import Topic

PROXY_KINDS = "^(video|image|music)$"


class _ProxyPayload(Payload):
    topic: ClassVar[Topic] = Topic.ANALYSIS
    key_field: ClassVar[str] = "asset_id"

    asset_id: Id
    project_id: Id
    kind: str = Field(pattern=PROXY_KINDS)


class MediaProxyRequested(_ProxyPayload):
    """An upload needs its proxy: for a video or still, at the output size given; for a
    song (kind music), as AAC. The original is a stored object or a path on a shared disk."""

    event_type: ClassVar[str] = "MediaProxyRequested"

    checksum: str = Field(min_length=1, max_length=128)
    stored: ObjectRef | None = None
    path: str | None = Field(default=None, min_length=1, max_length=4096)
    width: int | None = Field(default=None, ge=160, le=3840)
    height: int | None = Field(default=None, ge=120, le=2160)
    fps: int | None = Field(default=None, ge=12, le=60)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.stored is None and self.path is None:
            raise ValueError("the original needs a path or a stored object")
        sized = None not in (self.width, self.height, self.fps)
        if self.kind != "music" and not sized:
            raise ValueError(f"a {self.kind} proxy needs the output's width, height and fps")
        return self


class MediaProxyCompleted(_ProxyPayload):
    """The proxy is made and kept in the store (`proxy` for a video or still, `music` for a
    song), or it failed (`error`); a render without it reads the original."""

    event_type: ClassVar[str] = "MediaProxyCompleted"

    # Which of the asset's proxies this answers: its output size ("320x180"), or "music".
    variant: str = Field(pattern=r"^(music|[0-9]{3,4}x[0-9]{3,4})$")
    status: str = Field(pattern="^(completed|failed)$")
    proxy: ProxyRef | None = None
    music: ObjectRef | None = None
    error: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.kind == "music") != (self.variant == "music"):
            raise ValueError(f"a {self.kind} proxy's variant cannot be {self.variant!r}")
        made = self.music if self.kind == "music" else self.proxy
        if self.status == "completed" and made is None:
            raise ValueError("a completed proxy names its object in the store")
        if self.proxy is not None and self.variant != f"{self.proxy.width}x{self.proxy.height}":
            raise ValueError(f"the proxy's size is not its variant {self.variant!r}")
        return self
