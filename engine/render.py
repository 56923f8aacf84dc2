"""Render a whole EDL without Kafka: clips in a process pool, then assembly.

Clips, transition pieces and the encoded music all go through the ClipCache, so a
re-render after editing one segment renders that clip, its (at most two) transition
pieces and the remux. A clip that cannot be rendered is replaced by the placeholder,
as the agents do, so the output always covers the whole timeline.

Pieces render from the sources (assemble.render_transition), not from the clips, so
they need not wait for them (pieces.plan_pieces): each piece goes into the pool right
after the clip of its incoming segment, so clips and pieces interleave and the pool's
queue stays in timeline order. A piece next to a clip that fell back to the placeholder
is rendered again from the placeholder once that is known, so the transition shows what
the clip shows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
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
from engine.pieces import Sides, plan_pieces
from engine.placeholder import placeholder_side, render_placeholder_clip, write_placeholder
from engine.sources import Timeouts

# What a clip renders from, in plan_pieces' terms: its source (the caller's, else a
# fitting proxy, else the file) or, once it failed, the placeholder.
SOURCE, PLACEHOLDER = "source", "placeholder"


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
    by_id = assets if isinstance(assets, Mapping) else {a.id: a for a in assets}
    enc = enc or encode_settings(edl.output, quality)
    work = Path(workdir)
    cache = cache or ClipCache(work / "cache")
    out = Path(out_path)
    if sources:
        # A caller-chosen source (remote URL, local copy) is rendered instead of a proxy.
        by_id = {
            k: a.model_copy(update={"proxy_path": None}) if k in sources else a
            for k, a in by_id.items()
        }
    run = _Run(edl, by_id, sources or {}, enc, timeouts or Timeouts(), work, cache, source_tag, out)
    proxy = str(music_proxy) if music_proxy else None
    a_key = audio_key(edl.audio.checksum, edl.total_duration_ms, proxy)
    audio = cache.get(a_key, ".m4a")
    threads = threads_for_parallelism(max(1, workers))
    with ProcessPoolExecutor(
        max_workers=max(1, workers), initializer=set_codec_threads, initargs=(threads,)
    ) as pool:
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
        run.collect_clips(run.submit_clips(pool))
        clips_done = time.perf_counter()
        run.start_pieces(pool)  # those next to a placeholder again, from what the clips show
        run.collect_pieces()
        if audio_future is not None:
            audio = cache.put(a_key, unwrap(audio_future.result()), ".m4a")
    pieces_done = time.perf_counter()
    mux_output(run.plan, [c for c in run.clips if c is not None], run.pieces, audio, out)
    done = time.perf_counter()
    report = run.report
    report.clips_rendered.sort()
    report.transitions_rendered.sort()
    report.timings = {
        "clips": clips_done - began,
        "pieces": pieces_done - clips_done,
        "mux": done - pieces_done,
        "total": done - began,
    }
    return report


@dataclass
class _Run:
    """One render_edl call: its clips and pieces, cached, in the pool or done."""

    edl: EDL
    assets: Mapping[str, MediaAsset]
    sources: Mapping[str, str]
    enc: EncodeSettings
    timeouts: Timeouts
    work: Path
    cache: ClipCache
    source_tag: str
    out: Path
    plan: AssemblyPlan = field(init=False)
    boundaries: dict[int, Boundary] = field(init=False)
    keys: list[str] = field(init=False)
    clips: list[Path | None] = field(init=False)
    report: RenderReport = field(init=False)
    pieces: dict[int, Path] = field(default_factory=dict)
    # What each segment's clip renders from (SOURCE, PLACEHOLDER) once it is under way,
    # and the sides each piece was submitted with or found in the cache for.
    rendered_from: dict[int, str] = field(default_factory=dict)
    started: dict[int, Sides] = field(default_factory=dict)
    piece_futures: dict[Future[Path | Failed], tuple[int, str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.plan = plan_assembly(self.edl, self.enc.fps)
        self.boundaries = {b.index: b for b in self.plan.boundaries}
        self.keys = [
            clip_key(s, self.assets[s.asset_id], self.enc, source_tag=self.source_tag)
            for s in self.edl.segments
        ]
        self.clips = [self.cache.get(k) for k in self.keys]
        self.report = RenderReport(path=self.out, frames=self.plan.total_frames)
        self.report.clips_cached = [i for i, c in enumerate(self.clips) if c is not None]

    def submit_clips(self, pool: Executor) -> dict[Future[ClipResult | Failed], int]:
        """Every clip not in the cache, each followed by the pieces it makes ready."""
        futures: dict[Future[ClipResult | Failed], int] = {}
        for seg in self.edl.segments:
            if self.clips[seg.index] is None:
                target = self.work / "clips" / f"clip-{seg.index:05d}.mp4"
                asset, source = self.assets[seg.asset_id], self.sources.get(seg.asset_id)
                args = (seg.index, self.edl, asset, target, self.enc, source, self.timeouts)
                futures[pool.submit(_clip_task, *args)] = seg.index
            self.rendered_from[seg.index] = SOURCE
            self.start_pieces(pool)
        return futures

    def collect_clips(self, futures: dict[Future[ClipResult | Failed], int]) -> None:
        """Cache each rendered clip; one that failed is replaced by the placeholder."""
        for future in as_completed(futures):
            i = futures[future]
            result = future.result()
            if isinstance(result, ClipResult):
                self.clips[i] = self.cache.put(self.keys[i], result.path)
                self.report.clip_results.append(result)
                self.report.clips_rendered.append(i)
            else:
                self.report.placeholders[i] = result.reason
                self.rendered_from[i] = PLACEHOLDER
                self.clips[i] = _placeholder_clip(self.edl, i, self.work, self.enc)

    def start_pieces(self, pool: Executor) -> None:
        """Submit the pieces plan_pieces starts or starts again (next to a placeholder)."""
        steps = plan_pieces(self.boundaries, self.rendered_from, self.started)
        for k, sides in steps.start.items():
            self._submit_piece(pool, k, sides, "transition")
        for stale, (k, _) in list(self.piece_futures.items()):
            if k in steps.restart:
                stale.cancel()
                del self.piece_futures[stale]
        for k, sides in steps.restart.items():
            if self.pieces.pop(k, None) is not None:
                self.report.transitions_cached.remove(k)
            # Its own file: a stale piece still running must not overwrite it.
            self._submit_piece(pool, k, sides, "placeholder-transition")

    def _submit_piece(self, pool: Executor, k: int, sides: Sides, name: str) -> None:
        b = self.boundaries[k]
        self.started[k] = sides
        t_key = None
        if PLACEHOLDER not in sides:
            t_key = transition_key(
                self.keys[k], self.keys[k + 1], b.transition, _rel(b, self.plan, k)
            )
            hit = self.cache.get(t_key)
            if hit is not None:
                self.pieces[k] = hit
                self.report.transitions_cached.append(k)
                return
        target = self.work / "pieces" / f"{name}-{k:05d}.mp4"
        outgoing, incoming = self._side(k, sides[0]), self._side(k + 1, sides[1])
        future = pool.submit(
            guarded, render_transition, b, outgoing, incoming, target, self.enc, self.timeouts
        )
        self.piece_futures[future] = (k, t_key)

    def _side(self, index: int, rendered_from: str) -> PieceSide:
        seg = self.edl.segments[index]
        if rendered_from == PLACEHOLDER:
            return placeholder_side(seg, self.work / "placeholder.mp4")
        return PieceSide(seg, self.assets[seg.asset_id], self.sources.get(seg.asset_id))

    def collect_pieces(self) -> None:
        """Cache each rendered piece (those with no placeholder side)."""
        for future in as_completed(self.piece_futures):
            k, t_key = self.piece_futures[future]
            path = unwrap(future.result())
            self.pieces[k] = self.cache.put(t_key, path) if t_key else path
            self.report.transitions_rendered.append(k)


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
