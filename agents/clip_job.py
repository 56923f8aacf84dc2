"""What a clip task runs in a pool process: picklable functions around the engine."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from domain.render_request import engine_output, media_asset
from engine.assemble import (
    PieceSide,
    mux_output,
    plan_assembly,
    render_transition,
)
from engine.clip import render_clip
from engine.edl import EDL, Segment
from engine.encoding import Quality, encode_settings, set_codec_threads
from engine.generation.filler import as_video_segment, filler_clip, filler_spec
from engine.music import encode_audio
from engine.placeholder import placeholder_side, render_placeholder_clip, write_placeholder
from engine.sources import Timeouts
from events.payloads.common import MediaSource, ObjectRef, OutputSettings

T = TypeVar("T")


@dataclass(frozen=True)
class ClipDone:
    """A finished clip: where it is (and its object in the store, once kept there) and how
    long the render took."""

    path: str
    frames: int
    duration_ms: int
    stored: ObjectRef | None = None
    from_proxy: bool = False


def with_codec_threads(threads: int, fn: Callable[..., T], *args: Any) -> T:
    """Run fn(*args) with this many codec threads per encoder and decoder (0: automatic)."""
    set_codec_threads(threads)
    return fn(*args)


def ready() -> int:
    """Nothing but proof that a pool process has started and imported the engine."""
    return os.getpid()


def fills_dir(job_dir: Path) -> Path:
    """Where a render's generated fillers are drawn: in its render_tmp folder, which goes
    when the render ends; a filler's clip and the pieces beside it draw it once."""
    return job_dir / "fills"


def resolved_filler(
    segment: Segment, source: MediaSource, path: str, output: OutputSettings, fills: Path
) -> tuple[Segment, MediaSource, str]:
    """A segment with a generated filler as a video segment over its drawn clip (drawn now
    if missing); any other segment as it is, with its own source."""
    if segment.effects.generated is None:
        return segment, source, path
    spec = filler_spec(segment, output.width, output.height, output.fps)
    clip = filler_clip(spec, fills)
    drawn = MediaSource(
        asset_id=source.asset_id,
        media_type="video",
        checksum=clip.stem,
        local_path=str(clip),
        duration_ms=segment.render_duration_ms,
        width=spec.width,
        height=spec.height,
        fps=float(spec.fps),
        file_name="generated filler",
    )
    return as_video_segment(segment), drawn, str(clip)


def render_segment(
    segment: Segment,
    source: MediaSource,
    path: str,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
    timeouts_s: tuple[float, float],
    proxy: str | None = None,
) -> ClipDone:
    """Render one segment from `path` (a URL or a local file), or its generated filler;
    from `proxy` (the upload-time proxy, a local file) instead when it fits the output.
    Raises EngineError on failure."""
    began = time.perf_counter()
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    # The clip is render_tmp/job_<id>/clip_<n>.mp4 (clip_runner.clip_path).
    fills = fills_dir(Path(out_path).parent)
    original = source
    segment, source, path = resolved_filler(segment, source, path, output, fills)
    asset = media_asset(source, path)
    # A filler is not the asset the proxy was made of.
    proxy = proxy if source is original else None
    if proxy is not None:
        asset = asset.model_copy(update={"proxy_path": proxy})
    result = render_clip(
        segment,
        asset,
        out_path,
        encode_settings(engine_output(output), quality),
        # Without a source the engine opens the proxy when it fits, else the asset's path.
        source=None if proxy else path,
        timeouts=Timeouts(connect_s=timeouts_s[0], read_s=timeouts_s[1]),
    )
    took = round((time.perf_counter() - began) * 1000)
    return ClipDone(str(result.path), result.frames, took, from_proxy=result.from_proxy)


def ensure_placeholder(placeholder: str, output: OutputSettings) -> Path:
    """The placeholder clip at `placeholder`, written first if missing."""
    target = Path(placeholder)
    if not target.is_file():
        # write_placeholder writes aside and renames (files.atomic_output), so concurrent
        # workers never read a half-written file.
        write_placeholder(target, engine_output(output))
    return target


def render_placeholder(
    segment: Segment,
    placeholder: str,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
) -> ClipDone:
    """Render a segment from the placeholder clip, writing the placeholder first if missing."""
    began = time.perf_counter()
    target = ensure_placeholder(placeholder, output)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    result = render_placeholder_clip(
        segment,
        target,
        out_path,
        encode_settings(engine_output(output), quality),
    )
    return ClipDone(str(result.path), result.frames, round((time.perf_counter() - began) * 1000))


@dataclass(frozen=True)
class RenderDone:
    """The assembled MP4 (and its object in the store, once kept there)."""

    path: str
    file_size: int
    frames: int
    stored: ObjectRef | None = None


def _plan(edl: EDL, output: OutputSettings, quality: Quality) -> tuple[Any, Any, Any]:
    enc = encode_settings(engine_output(output), quality)
    return edl, enc, plan_assembly(edl, enc.fps)


@dataclass(frozen=True)
class PieceSource:
    """What one side of a transition piece renders from: what its clip rendered from.

    `source` and `path` as render_segment got them (`path` a URL or a local file), or,
    for a segment whose clip is the placeholder, source None and `path` the placeholder
    file (written first if missing, as render_placeholder does).
    """

    source: MediaSource | None
    path: str


def render_piece(
    edl: EDL,
    boundary_index: int,
    outgoing: PieceSource,
    incoming: PieceSource,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
    timeouts_s: tuple[float, float] = (10.0, 15.0),
) -> str:
    """Render the transition piece after segment `boundary_index` from the sources of its
    two segments (no clip is read); raises EngineError on failure."""
    plan_edl, enc, plan = _plan(edl, output, quality)
    boundary = next(b for b in plan.boundaries if b.index == boundary_index)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    # The piece is render_tmp/job_<id>/assembly/<name>.mp4 (Assembler._start_piece).
    fills = fills_dir(Path(out_path).parent.parent)

    def side(index: int, where: PieceSource) -> PieceSide:
        segment = plan_edl.segments[index]
        if where.source is None:
            return placeholder_side(segment, ensure_placeholder(where.path, output))
        segment, source, path = resolved_filler(segment, where.source, where.path, output, fills)
        return PieceSide(segment, media_asset(source, path), path)

    piece = render_transition(
        boundary,
        side(boundary_index, outgoing),
        side(boundary_index + 1, incoming),
        Path(out_path),
        enc,
        Timeouts(connect_s=timeouts_s[0], read_s=timeouts_s[1]),
    )
    return str(piece)


def transition_indices(edl: EDL, fps: int) -> list[int]:
    """The segments followed by a transition piece (every boundary that is not a cut)."""
    return [b.index for b in plan_assembly(edl, fps).boundaries]


def encode_music(music: str, total_ms: int, out_path: str, proxy: str | None = None) -> str:
    """The music as AAC, trimmed to the timeline with a short fade-out (its packets copied
    from the music proxy, when there is one, and only the fade encoded)."""
    return str(encode_audio(Path(music), total_ms, Path(out_path), Path(proxy) if proxy else None))


def mux_render(
    edl: EDL,
    clips: list[str],
    pieces: dict[int, str],
    audio: str,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
) -> RenderDone:
    """Join clip bodies, transition pieces and the music into the final MP4 (stream copy)."""
    _, _, plan = _plan(edl, output, quality)
    out = mux_output(
        plan,
        [Path(c) for c in clips],
        {k: Path(v) for k, v in pieces.items()},
        Path(audio),
        Path(out_path),
    )
    return RenderDone(str(out), Path(out).stat().st_size, plan.total_frames)
