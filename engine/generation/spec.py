"""What a generated clip should be: kind, words, look, motion, size and length (pure data)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.render_settings import Fps, Height, Width, ranged


class LocalKind(StrEnum):
    """What the local provider draws."""

    TITLE_CARD = "title_card"  # the prompt set in type over a coloured ground
    IMAGE_MOVE = "image_move"  # a pan, zoom or parallax over one picture
    BEAT_PULSE = "beat_pulse"  # shapes that flash on the song's beats


CameraMotion = Literal["static", "pan_left", "pan_right", "zoom_in", "zoom_out", "parallax"]
Style = Literal["plain", "warm", "cool", "neon", "mono"]
Seconds = Annotated[float, ranged(0.5, 20.0)]
Share = Annotated[float, ranged(0.0, 1.0)]
BeatTime = Annotated[float, ranged(0.0, 20.0)]


class ClipSpec(BaseModel):
    """A request for one generated clip; equal specs give byte-identical clips."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: LocalKind = LocalKind.TITLE_CARD  # remote providers ignore it
    prompt: str = Field(min_length=1, max_length=500)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    duration_s: Seconds = 4.0
    fps: Fps = 24
    width: Width = 1280
    height: Height = 720
    style: Style = "plain"
    motion_level: Share = 0.5
    camera_motion: CameraMotion = "zoom_in"
    # The provider's model; "" for the provider's configured default. Local ignores it.
    model: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._:/-]*$")
    image: Path | None = None  # image_move's picture, already on this machine
    # beat_pulse's beats, from the clip's start; a 20 s clip at 300 BPM has 100.
    beat_times_s: tuple[Annotated[float, ranged(0.0, 20.0)], ...] = Field(
        default=(), max_length=400
    )

    @property
    def frame_count(self) -> int:
        """Frames in the clip: its duration at its rate, at least one."""
        return max(1, round(self.duration_s * self.fps))
