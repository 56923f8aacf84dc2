"""A generated filler as the EDL carries it: what the local generator draws in place of a
medium the timeline would otherwise repeat (pure data; it travels in events)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# The local generator's styles (engine.generation.spec.Style; a unit test keeps them equal).
FillStyle = Literal["plain", "warm", "cool", "neon", "mono"]
MAX_FILL_BEATS = 256
FILL_MIN_MS, FILL_MAX_MS = 500, 20_000  # the shortest and longest clip the generator draws


FILL_STYLES: tuple[FillStyle, ...] = ("neon", "warm", "cool", "mono", "plain")


class GeneratedFill(BaseModel):
    """A beat-pulse clip: look, seed, motion and beats (ms from the segment's render window
    start). No text and no paths, so nothing in it names a file or reaches a provider."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    style: FillStyle
    seed: int = Field(ge=0, le=2**31 - 1)
    motion_level: float = Field(ge=0.0, le=1.0)
    beat_times_ms: list[Annotated[int, Field(ge=0, le=FILL_MAX_MS)]] = Field(
        max_length=MAX_FILL_BEATS
    )


def gap_fill(
    segment_index: int, render_in_ms: int, render_ms: int, beat_times_ms: list[int], salt: str
) -> GeneratedFill | None:
    """The filler of a segment whose render window starts at `render_in_ms` and lasts
    `render_ms`, pulsing on the song's beats inside it; None where the generator cannot
    draw one that long. Style and motion alternate with the index, the seed comes from
    sha256(salt, index): the same timeline, the same fillers."""
    if not FILL_MIN_MS <= render_ms <= FILL_MAX_MS:
        return None
    digest = hashlib.sha256(f"{salt}\x00fill\x00{segment_index}".encode()).digest()
    beats = [
        t - render_in_ms for t in beat_times_ms if render_in_ms <= t < render_in_ms + render_ms
    ]
    return GeneratedFill(
        style=FILL_STYLES[segment_index % len(FILL_STYLES)],
        seed=int.from_bytes(digest[:4], "big") & 0x7FFFFFFF,
        motion_level=0.9 if segment_index % 2 else 0.5,
        beat_times_ms=beats[:MAX_FILL_BEATS],
    )
