"""A photo or clip as the engine sees it: what it is, where it is, and its geometry."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MediaKind = Literal["image", "video"]
Rotation = Literal[0, 90, 180, 270]


class MediaAsset(BaseModel):
    """One uploaded photo or clip.

    `width`/`height` are the stored (decoded) frame size. `rotation` is the clockwise
    turn, in degrees, that makes a decoded frame upright (the meaning of the old
    `rotate` tag and of EXIF orientation 6 = 90). `display_aspect_ratio` is
    width * sample_aspect_ratio / height of the *unrotated* frame, or None for square
    pixels. `duration_ms` is required for videos and ignored for images.

    `proxy_path` is the upload-time proxy (engine.proxy.make_proxy), if one was made:
    upright, square pixels, shaped for the output size, with the source's timestamps.
    Clips render from it when present; geometry is then read from the proxy itself
    and the source times are unchanged. It is not part of the EDL (edl_hash names
    media by id and checksum only); clip cache keys name the proxy's checksum.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    id: str = Field(min_length=1)
    kind: MediaKind
    path: str
    checksum: str = Field(min_length=1)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    rotation: Rotation = 0
    display_aspect_ratio: float | None = Field(default=None, gt=0)
    duration_ms: int | None = Field(default=None, gt=0)
    fps: float | None = Field(default=None, gt=0)
    proxy_path: str | None = None

    @model_validator(mode="after")
    def _video_has_duration(self) -> Self:
        # The timeline picks source ranges inside a video; it cannot without a duration.
        if self.kind == "video" and self.duration_ms is None:
            raise ValueError(f"video asset {self.id!r} needs duration_ms")
        return self

    def display_size(self) -> tuple[int, int]:
        """Width and height as a viewer sees them: pixel aspect applied, then rotation."""
        width, height = self.width, self.height
        if self.display_aspect_ratio is not None:
            # Keep the stored height and stretch the width, as FFmpeg's DAR does.
            width = max(1, round(height * self.display_aspect_ratio))
        if self.rotation in (90, 270):
            return height, width
        return width, height
