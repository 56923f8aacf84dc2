"""The placeholder clip: what a segment shows when none of its sources can be rendered."""

from __future__ import annotations

import os
from pathlib import Path

from engine.assemble import PieceSide, write_frames
from engine.clip import ClipResult, render_clip
from engine.edl import Effects, Segment
from engine.encoding import EncodeSettings, black, encode_settings
from engine.media import MediaAsset
from engine.render_settings import OutputSettings

PLACEHOLDER_MS = 3000
# Fixed, under the artifacts root: no config or event chooses which file fills a gap.
PLACEHOLDER_FILE = Path("placeholder/clip_placeholder.mp4")


def placeholder_path(artifacts_dir: str | os.PathLike[str]) -> Path:
    """Where the workers keep the placeholder clip: <artifacts_dir>/placeholder/, absolute."""
    return Path(artifacts_dir).resolve() / PLACEHOLDER_FILE


def write_placeholder(path: str | os.PathLike[str], output_settings: OutputSettings) -> Path:
    """Write a 3 s black H.264 clip at the output size and frame rate (at placeholder_path)."""
    enc = encode_settings(output_settings, "final")
    frame = black(enc.width, enc.height)
    count = PLACEHOLDER_MS * enc.fps // 1000
    out = Path(path)
    write_frames((frame for _ in range(count)), out, enc)
    return out


def placeholder_asset(path: str | os.PathLike[str]) -> MediaAsset:
    """The placeholder file as a video MediaAsset (its size does not matter: fill-and-crop)."""
    return MediaAsset(
        id="placeholder",
        kind="video",
        path=str(path),
        checksum="placeholder",
        width=16,
        height=9,
        duration_ms=PLACEHOLDER_MS,
    )


def placeholder_segment(segment: Segment) -> Segment:
    """The segment as its placeholder clip renders it: same window, the placeholder video."""
    return segment.model_copy(
        update={
            "media_type": "video",
            "source_in_ms": 0,
            # Shorter slots trim it, longer ones hold its last (black) frame.
            "source_out_ms": min(PLACEHOLDER_MS, segment.render_duration_ms),
            "effects": Effects(),
        }
    )


def placeholder_side(segment: Segment, placeholder: str | os.PathLike[str]) -> PieceSide:
    """What a transition next to a placeholder clip renders that side from."""
    return PieceSide(placeholder_segment(segment), placeholder_asset(placeholder))


def render_placeholder_clip(
    segment: Segment,
    placeholder: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    enc: EncodeSettings,
) -> ClipResult:
    """Render a segment's clip from the placeholder: same frames and layout, all black."""
    side = placeholder_side(segment, placeholder)
    return render_clip(side.segment, side.asset, out_path, enc)
