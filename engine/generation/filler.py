"""Gap fillers at render time: a segment's GeneratedFill drawn by the local generator into a
content-addressed file, and the segment as a plain video segment over that file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import ValidationError

from engine.edl import Effects, Segment
from engine.errors import EngineError
from engine.generation.local import render_local_clip
from engine.generation.spec import ClipSpec, LocalKind

# Never drawn (a beat pulse sets no type); it seeds the generator like any prompt.
FILLER_PROMPT = "gap filler"


def filler_spec(segment: Segment, width: int, height: int, fps: int) -> ClipSpec:
    """The local generator's spec for a filler segment, as long as its render window."""
    fill = segment.effects.generated
    if fill is None:
        raise EngineError("invalid_input", f"segment {segment.index} has no generated filler")
    try:
        return ClipSpec(
            kind=LocalKind.BEAT_PULSE,
            prompt=FILLER_PROMPT,
            seed=fill.seed,
            duration_s=segment.render_duration_ms / 1000,
            fps=fps,
            width=width,
            height=height,
            style=fill.style,
            motion_level=fill.motion_level,
            beat_times_s=tuple(ms / 1000 for ms in fill.beat_times_ms),
        )
    except ValidationError as exc:  # a segment from an event: its length is not ours to trust
        problem = exc.errors()[0]
        field = ".".join(str(p) for p in problem["loc"])
        raise EngineError(
            "invalid_input", f"segment {segment.index}'s filler: {field}: {problem['msg']}"
        ) from None


def filler_clip(spec: ClipSpec, cache_dir: Path) -> Path:
    """The spec's clip under `cache_dir`, named by the spec's digest and drawn only once."""
    digest = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()
    target = cache_dir / f"fill-{digest[:40]}.mp4"
    if not target.is_file():
        # render_local_clip writes aside and renames: a concurrent draw never reads half.
        target.parent.mkdir(parents=True, exist_ok=True)
        render_local_clip(spec, target)
    return target


def as_video_segment(segment: Segment) -> Segment:
    """The filler segment as a video segment that plays its generated clip from the start."""
    return segment.model_copy(
        update={
            "media_type": "video",
            "source_in_ms": 0,
            "source_out_ms": segment.render_duration_ms,
            "effects": Effects(),
        }
    )
