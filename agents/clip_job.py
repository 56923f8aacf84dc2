"""What a clip task runs in a pool process: picklable functions around the engine."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from engine.assemble import assemble
from engine.clip import Timeouts, render_clip
from engine.edl import EDL, Segment
from engine.encoding import Quality, encode_settings
from engine.media import MediaAsset
from engine.placeholder import render_placeholder_clip, write_placeholder
from engine.render_settings import OutputSettings as EngineOutput
from events.payloads.common import MediaSource, OutputSettings

ASSEMBLY_PROCESSES = 2


@dataclass(frozen=True)
class ClipDone:
    """A finished clip: where it is and how long the render took."""

    path: str
    frames: int
    duration_ms: int


def ready() -> int:
    """Nothing but proof that a pool process has started and imported the engine."""
    return os.getpid()


def engine_output(output: OutputSettings) -> EngineOutput:
    """The engine's output settings for a render's output settings."""
    return EngineOutput(width=output.width, height=output.height, fps=output.fps)


def media_asset(source: MediaSource, path: str) -> MediaAsset:
    """The engine's view of a media source, read from `path`."""
    if source.width is None or source.height is None:
        # The planner rejects such requests; this guards direct producers.
        raise ValueError(f"media {source.asset_id} has no width/height; probe it first")
    return MediaAsset(
        id=source.asset_id,
        kind="video" if source.media_type == "video" else "image",
        path=path,
        checksum=source.checksum,
        width=source.width,
        height=source.height,
        rotation=source.rotation,  # type: ignore[arg-type]
        display_aspect_ratio=source.display_aspect_ratio,
        duration_ms=source.duration_ms,
        fps=source.fps,
    )


def render_segment(
    segment: dict[str, Any],
    source: MediaSource,
    path: str,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
    timeouts_s: tuple[float, float],
) -> ClipDone:
    """Render one segment from `path` (a URL or a local file); raises EngineError on failure."""
    began = time.perf_counter()
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    result = render_clip(
        Segment.model_validate(segment),
        media_asset(source, path),
        out_path,
        encode_settings(engine_output(output), quality),
        source=path,
        timeouts=Timeouts(connect_s=timeouts_s[0], read_s=timeouts_s[1]),
    )
    return ClipDone(str(result.path), result.frames, round((time.perf_counter() - began) * 1000))


def render_placeholder(
    segment: dict[str, Any],
    placeholder: str,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
) -> ClipDone:
    """Render a segment from the placeholder clip, writing the placeholder first if missing."""
    began = time.perf_counter()
    target = Path(placeholder)
    if not target.is_file():
        # Written aside and renamed, so concurrent workers never read a half-written file.
        target.parent.mkdir(parents=True, exist_ok=True)
        aside = target.with_name(f".{target.stem}.{os.getpid()}{target.suffix}")
        write_placeholder(aside, engine_output(output))
        os.replace(aside, target)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    result = render_placeholder_clip(
        Segment.model_validate(segment),
        placeholder,
        out_path,
        encode_settings(engine_output(output), quality),
    )
    return ClipDone(str(result.path), result.frames, round((time.perf_counter() - began) * 1000))


@dataclass(frozen=True)
class RenderDone:
    """The assembled MP4."""

    path: str
    file_size: int
    frames: int


def assemble_render(
    edl: dict[str, Any],
    clips: list[str | None],
    placeholder: str,
    music: str,
    out_path: str,
    output: OutputSettings,
    quality: Quality,
    workdir: str,
) -> RenderDone:
    """Join the clips (a placeholder for any segment without one) with transitions and music."""
    plan = EDL.model_validate(edl)
    enc = encode_settings(engine_output(output), quality)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for seg, clip in zip(plan.segments, clips, strict=True):
        if clip is None or not Path(clip).is_file():
            stand_in = str(work / f"placeholder_{seg.index:04d}.mp4")
            render_placeholder(seg.model_dump(mode="json"), placeholder, stand_in, output, quality)
            clip = stand_in
        paths.append(Path(clip))
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    # The transition pieces are independent: two processes halve the assembly's wall time.
    with ProcessPoolExecutor(ASSEMBLY_PROCESSES, mp_context=get_context("spawn")) as pool:
        result = assemble(plan, paths, Path(music), Path(out_path), enc, work, executor=pool)
    return RenderDone(str(result.path), Path(result.path).stat().st_size, result.frames)
