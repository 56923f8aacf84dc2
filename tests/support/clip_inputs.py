"""What the clip-rendering unit tests render: a segment builder, encode settings and a
counter video, shared by the tests of clip, sources, decoding, framing and the still cache."""

from __future__ import annotations

from pathlib import Path

from engine.edl import CUT, Effects, Segment, Transition
from engine.encoding import EncodeSettings
from engine.media import MediaAsset
from tests.support.media_gen import video_asset, write_video

FPS = 24
ENC = EncodeSettings(width=320, height=180, fps=FPS, preset="ultrafast", crf=23)
XFADE = Transition(type="crossfade", duration_ms=250)


def segment(
    *,
    media_type: str = "video",
    timeline: tuple[int, int] = (1000, 2000),
    source_in: int = 0,
    t_in: Transition = CUT,
    t_out: Transition = CUT,
    effects: Effects | None = None,
    source_span: int | None = None,
) -> Segment:
    """A segment whose render duration and source range follow edl.py's rules."""
    before = t_in.duration_ms // 2 if t_in.type == "crossfade" else 0
    after = t_out.duration_ms - t_out.duration_ms // 2 if t_out.type == "crossfade" else 0
    render = timeline[1] - timeline[0] + before + after
    span = render if source_span is None else source_span
    return Segment(
        index=1,
        asset_id="a",
        media_type=media_type,  # type: ignore[arg-type]
        timeline_in_ms=timeline[0],
        timeline_out_ms=timeline[1],
        render_duration_ms=render,
        source_in_ms=source_in if media_type == "video" else 0,
        source_out_ms=(source_in if media_type == "video" else 0) + span,
        transition_in=t_in,
        transition_out=t_out,
        effects=effects or Effects(),
    )


def counter_video(folder: Path) -> MediaAsset:
    """5 s of 24 fps counter frames with a key frame every 2 s (like phone footage)."""
    path = folder / "counter.mp4"
    write_video(path, frames=120, fps=FPS, gop=48, faststart=True)
    return video_asset(path, "a", frames=120, fps=FPS)
