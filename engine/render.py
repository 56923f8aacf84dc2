"""Render a whole EDL without Kafka: clips in a process pool, then assembly.

Clips, transition pieces and the encoded music all go through the ClipCache, so a
re-render after editing one segment renders that clip, its (at most two) transition
pieces and the remux. A clip that cannot be rendered is replaced by the placeholder,
as the agents do, so the output always covers the whole timeline.

Pieces render from the sources (assemble.render_transition), not from the clips, so
they need not wait for them: each piece goes into the pool right after the clip of its
incoming segment, so clips and pieces interleave and the pool's queue stays in timeline
order. A piece next to a clip that fell back to the placeholder is rendered again from
the placeholder once that is known, so the transition shows what the clip shows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from engine.assemble import (
    AssemblyPlan,
    Boundary,
    Failed,
    PieceSide,
    guarded,
    mux_output,
    plan_assembly,
    render_transition,
    unwrap,
)
from engine.clip import ClipResult, render_clip
from engine.clip_cache import ClipCache, audio_key, clip_key, transition_key
from engine.edl import EDL
from engine.encoding import (
    EncodeSettings,
    Quality,
    encode_settings,
    set_codec_threads,
    threads_for_parallelism,
)
from engine.media import MediaAsset
from engine.music import encode_audio
from engine.placeholder import placeholder_side, render_placeholder_clip, write_placeholder
from engine.sources import Timeouts


@dataclass
class RenderReport:
    """What render_edl did: which clips it rendered or reused, and where time went."""

    path: Path
    frames: int
    clips_rendered: list[int] = field(default_factory=list)
    clips_cached: list[int] = field(default_factory=list)
    transitions_rendered: list[int] = field(default_factory=list)
    transitions_cached: list[int] = field(default_factory=list)
    placeholders: dict[int, str] = field(default_factory=dict)  # segment -> reason
    clip_results: list[ClipResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _clip_task(
    segment_index: int,
    edl: EDL,
    asset: MediaAsset,
    out: Path,
    enc: EncodeSettings,
    source: str | None,
    timeouts: Timeouts,
) -> ClipResult | Failed:
    segment = edl.segments[segment_index]
    render = partial(render_clip, source=source, timeouts=timeouts)
    return guarded(render, segment, asset, out, enc)


def render_edl(
    edl: EDL,
    assets: Mapping[str, MediaAsset] | Sequence[MediaAsset],
    audio_path: str | Path,
    out_path: str | Path,
    workdir: str | Path,
    *,
    workers: int = 2,
    quality: Quality = "final",
    enc: EncodeSettings | None = None,
    cache: ClipCache | None = None,
    sources: Mapping[str, str] | None = None,
    source_tag: str = "original",
    timeouts: Timeouts | None = None,
    music_proxy: str | Path | None = None,
) -> RenderReport:
    """Render every clip (process pool, cached), the transitions and music, then mux.

    `music_proxy`: the music's upload-time AAC (engine.music.make_music_proxy), if made.
    """
    began = time.perf_counter()
    timeouts = timeouts or Timeouts()
    by_id = assets if isinstance(assets, Mapping) else {a.id: a for a in assets}
    enc = enc or encode_settings(edl.output, quality)
    work = Path(workdir)
    cache = cache or ClipCache(work / "cache")
    plan = plan_assembly(edl, enc.fps)
    out = Path(out_path)
    report = RenderReport(path=out, frames=plan.total_frames)
    if sources:
        # A caller-chosen source (remote URL, local copy) is rendered instead of a proxy.
        by_id = {
            k: a.model_copy(update={"proxy_path": None}) if k in sources else a
            for k, a in by_id.items()
        }
    keys = [clip_key(s, by_id[s.asset_id], enc, source_tag=source_tag) for s in edl.segments]
    clips: list[Path | None] = [cache.get(k) for k in keys]
    report.clips_cached = [i for i, c in enumerate(clips) if c is not None]
    boundaries = {b.index: b for b in plan.boundaries}
    pieces: dict[int, Path] = {}
    piece_futures: dict[Future[Path | Failed], tuple[int, str | None]] = {}

    def side(index: int) -> PieceSide:
        seg = edl.segments[index]
        if index in report.placeholders:
            return placeholder_side(seg, work / "placeholder.mp4")
        return PieceSide(seg, by_id[seg.asset_id], sources.get(seg.asset_id) if sources else None)

    threads = threads_for_parallelism(max(1, workers))
    with ProcessPoolExecutor(
        max_workers=max(1, workers), initializer=set_codec_threads, initargs=(threads,)
    ) as pool:
        proxy = str(music_proxy) if music_proxy else None
        a_key = audio_key(edl.audio.checksum, edl.total_duration_ms, proxy)
        audio = cache.get(a_key, ".m4a")
        audio_future = None
        if audio is None:
            audio_future = pool.submit(
                guarded,
                encode_audio,
                Path(audio_path),
                edl.total_duration_ms,
                work / "music.m4a",
                Path(proxy) if proxy else None,
            )

        def submit_piece(k: int, name: str = "transition") -> None:
            b = boundaries[k]
            t_key = None
            if k not in report.placeholders and k + 1 not in report.placeholders:
                t_key = transition_key(keys[k], keys[k + 1], b.transition, _rel(b, plan, k))
                hit = cache.get(t_key)
                if hit is not None:
                    pieces[k] = hit
                    report.transitions_cached.append(k)
                    return
            target = work / "pieces" / f"{name}-{k:05d}.mp4"
            future = pool.submit(
                guarded, render_transition, b, side(k), side(k + 1), target, enc, timeouts
            )
            piece_futures[future] = (k, t_key)

        clip_futures: dict[Future[ClipResult | Failed], int] = {}
        for seg in edl.segments:
            if clips[seg.index] is None:
                source = sources.get(seg.asset_id) if sources else None
                target = work / "clips" / f"clip-{seg.index:05d}.mp4"
                asset = by_id[seg.asset_id]
                future = pool.submit(
                    _clip_task,
                    seg.index,
                    edl,
                    asset,
                    target,
                    enc,
                    source,
                    timeouts,
                )
                clip_futures[future] = seg.index
            # The piece before this segment goes in right after its clip.
            if seg.index - 1 in boundaries:
                submit_piece(seg.index - 1)
        for future in as_completed(clip_futures):
            i = clip_futures[future]
            result = future.result()
            if isinstance(result, ClipResult):
                clips[i] = cache.put(keys[i], result.path)
                report.clip_results.append(result)
                report.clips_rendered.append(i)
            else:
                report.placeholders[i] = result.reason
                clips[i] = _placeholder_clip(edl, i, work, enc)
        clips_done = time.perf_counter()
        # Pieces next to a placeholder: render them again from what the clips show.
        redo = sorted({k for i in report.placeholders for k in (i - 1, i) if k in boundaries})
        for stale, (k, _) in list(piece_futures.items()):
            if k in redo:
                stale.cancel()
                del piece_futures[stale]
        for k in redo:
            if pieces.pop(k, None) is not None:
                report.transitions_cached.remove(k)
            # Its own file: a stale piece still running must not overwrite it.
            submit_piece(k, "placeholder-transition")
        for piece_future in as_completed(piece_futures):
            k, t_key = piece_futures[piece_future]
            path = unwrap(piece_future.result())
            pieces[k] = cache.put(t_key, path) if t_key else path
            report.transitions_rendered.append(k)
        if audio_future is not None:
            audio = cache.put(a_key, unwrap(audio_future.result()), ".m4a")
    pieces_done = time.perf_counter()
    final_clips = [c for c in clips if c is not None]
    mux_output(plan, final_clips, pieces, audio, out)
    done = time.perf_counter()
    report.clips_rendered.sort()
    report.transitions_rendered.sort()
    report.timings = {
        "clips": clips_done - began,
        "pieces": pieces_done - clips_done,
        "mux": done - pieces_done,
        "total": done - began,
    }
    return report


def _rel(b: Boundary, plan: AssemblyPlan, k: int) -> tuple[int, int, int]:
    # Position-independent: where the transition sits inside the outgoing clip.
    start = plan.layouts[k].start_frame
    return b.start - start, b.cut - start, b.end - start


def _placeholder_clip(edl: EDL, index: int, work: Path, enc: EncodeSettings) -> Path:
    placeholder = work / "placeholder.mp4"
    if not placeholder.exists():
        write_placeholder(placeholder, edl.output)
    target = work / "clips" / f"placeholder-{index:05d}.mp4"
    return render_placeholder_clip(edl.segments[index], placeholder, target, enc).path
