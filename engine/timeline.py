"""Build the EDL: cut the music on its beats and lay the media over the cuts.

Pure and deterministic: the same settings, media order and beat grid give the same
edl_hash and byte-identical EDL JSON (edl_to_json). Timing conventions are in edl.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import pairwise

from engine.beat_grid import BeatGrid
from engine.edl import (
    CUT,
    EDL,
    AudioRef,
    Effects,
    KenBurns,
    MediaRef,
    Segment,
    Transition,
    canonical_json,
    hash_edl_inputs,
    overlap_after_ms,
    overlap_before_ms,
)
from engine.errors import EngineError
from engine.generated_fill import GeneratedFill, gap_fill
from engine.media import MediaAsset
from engine.render_settings import RenderSettings, TransitionSettings

# Shorter segments are merged away: at 12 fps (the lowest output rate) 100 ms still
# spans at least one frame, and analyzer double-hits closer than this are not beats.
MIN_SEGMENT_MS = 100
BEATLESS_MIN_CUT_MS, BEATLESS_MAX_CUT_MS = 2000, 8000

# Ken Burns: the zoomed end of a move is between these scales (1 = whole picture).
_KB_MIN_ZOOM = 1.10
_KB_ZOOM_RANGE = 0.20


def beat_grid_checksum(beat_grid: BeatGrid) -> str:
    """sha256 hex of the beat grid's canonical JSON."""
    return hashlib.sha256(canonical_json(beat_grid.model_dump(mode="json"))).hexdigest()


def media_refs(assets: Sequence[MediaAsset]) -> list[MediaRef]:
    """The media order as the EDL records it: id, checksum and kind of each asset."""
    return [MediaRef(asset_id=a.id, checksum=a.checksum, media_type=a.kind) for a in assets]


def edl_hash(settings: RenderSettings, assets: Sequence[MediaAsset], beat_grid: BeatGrid) -> str:
    """Hash over settings, media order (ids + checksums), audio and beat-grid checksums."""
    return hash_edl_inputs(
        settings, media_refs(assets), beat_grid.audio_file_checksum, beat_grid_checksum(beat_grid)
    )


def edl_to_json(edl: EDL) -> bytes:
    """The EDL as canonical JSON bytes (sorted keys, no whitespace, UTF-8)."""
    return canonical_json(edl.model_dump(mode="json"))


def cut_points(beat_grid: BeatGrid, beats_per_cut: int, beatless_cut_ms: int) -> list[int]:
    """Cut times: every beats_per_cut-th beat counted from the first downbeat.

    Counting from the first downbeat (the first beat if none is marked) puts cuts on
    bar lines when beats_per_cut is 4 or more. The first beat is never a cut: the
    first segment starts at 0 and covers any intro. A cut that would leave a segment
    shorter than MIN_SEGMENT_MS (on either side) is dropped. Music with no clear beat
    is cut every beatless_cut_ms instead.
    """
    total = beat_grid.duration_ms
    beats = sorted(beat_grid.beats, key=lambda b: b.time_ms)
    if not beats:
        step = max(beatless_cut_ms, MIN_SEGMENT_MS)
        return [t for t in range(step, total, step) if total - t >= MIN_SEGMENT_MS]
    times = [b.time_ms for b in beats]
    anchor = next((k for k, b in enumerate(beats) if b.is_downbeat), 0)
    cuts: list[int] = []
    last = 0
    for k in range(1, len(times)):
        t = times[k]
        if (k - anchor) % beats_per_cut or t - last < MIN_SEGMENT_MS:
            continue
        if total - t < MIN_SEGMENT_MS:
            break
        cuts.append(t)
        last = t
    return cuts


def beatless_cut_ms(settings: RenderSettings, duration_ms: int, media_count: int) -> int:
    """How often music with no clear beat is cut: the user's choice, else every medium once.

    Each photo or clip gets an equal share of the song, kept between 2 and 8 s: short
    enough that a 20-minute drone does not hold one picture for minutes, long enough
    that a few photos over a long song are not flashed hundreds of times.
    """
    if settings.beatless.cut_ms is not None:
        return settings.beatless.cut_ms
    share = duration_ms // max(media_count, 1)
    return int(min(max(share, BEATLESS_MIN_CUT_MS), BEATLESS_MAX_CUT_MS)) // 100 * 100


def cutting_rule(
    settings: RenderSettings, beat_found: bool, duration_ms: int, media_count: int
) -> str:
    """How the music is cut, in words: 'every 4 beats', or that no clear beat was found."""
    if beat_found:
        n = settings.beats_per_cut
        return f"cutting every {n} beat{'s' if n > 1 else ''}"
    every = beatless_cut_ms(settings, duration_ms, media_count) / 1000
    return f"no clear beat found; cutting every {every:g} s"


def ken_burns_move(asset_id: str, segment_index: int) -> KenBurns:
    """A pan-and-zoom drawn from sha256(asset id, segment index): same inputs, same move."""
    digest = hashlib.sha256(f"{asset_id}\x00{segment_index}".encode()).digest()
    u = [int.from_bytes(digest[4 * k : 4 * k + 4], "big") / 2**32 for k in range(6)]
    far = _KB_MIN_ZOOM + _KB_ZOOM_RANGE * u[0]
    start_zoom, end_zoom = (1.0, far) if u[1] < 0.5 else (far, 1.0)

    def centre(zoom: float, v: float) -> float:
        # Keep the visible window inside the picture: its half-size is 0.5 / zoom.
        margin = 0.5 / zoom
        return round(margin + (1 - 2 * margin) * v, 4)

    return KenBurns(
        start_zoom=round(start_zoom, 4),
        end_zoom=round(end_zoom, 4),
        start_x=centre(start_zoom, u[2]),
        start_y=centre(start_zoom, u[3]),
        end_x=centre(end_zoom, u[4]),
        end_y=centre(end_zoom, u[5]),
    )


def _boundary_transition(wanted: TransitionSettings, left_ms: int, right_ms: int) -> Transition:
    # Clamp to half the shorter neighbour so a clip never overlaps both neighbours.
    if wanted.type == "cut":
        return CUT
    duration = min(wanted.duration_ms, left_ms // 2, right_ms // 2)
    return Transition(type=wanted.type, duration_ms=duration) if duration > 0 else CUT


def _source_range(asset: MediaAsset, need_ms: int, cursor: dict[str, int]) -> tuple[int, int]:
    # Stills have no source time. A video shorter than its clip plays whole (then holds
    # its last frame, see edl.py). A longer one continues where its previous use in
    # this timeline stopped, wrapping to 0, so repeats show new footage.
    if asset.kind == "image" or asset.duration_ms is None:
        return 0, need_ms
    if asset.duration_ms <= need_ms:
        return 0, asset.duration_ms
    start = cursor.get(asset.id, 0)
    if start + need_ms > asset.duration_ms:
        start = 0
    cursor[asset.id] = start + need_ms
    return start, start + need_ms


def build_edl(settings: RenderSettings, assets: Sequence[MediaAsset], beat_grid: BeatGrid) -> EDL:
    """Cut the music every beats_per_cut beats and cycle the assets over the segments; with
    fill_gaps, a segment that would show an asset again shows a generated filler instead."""
    if not assets:
        raise EngineError("invalid_input", "a timeline needs at least one photo or clip")
    total = beat_grid.duration_ms
    if total <= 0:
        raise EngineError("invalid_input", "the music has no duration to cut")

    beatless = beatless_cut_ms(settings, total, len(assets))
    bounds = [0, *cut_points(beat_grid, settings.beats_per_cut, beatless), total]
    lengths = [b - a for a, b in pairwise(bounds)]
    # boundaries[k] is the transition at bounds[k]; the two ends are plain cuts.
    boundaries = [CUT]
    boundaries += [
        _boundary_transition(settings.transition, lengths[k - 1], lengths[k])
        for k in range(1, len(lengths))
    ]
    boundaries.append(CUT)

    cursor: dict[str, int] = {}
    segments: list[Segment] = []
    beat_times = sorted(b.time_ms for b in beat_grid.beats)
    for i, length in enumerate(lengths):
        asset = assets[i % len(assets)]
        t_in, t_out = boundaries[i], boundaries[i + 1]
        render_ms = overlap_before_ms(t_in) + length + overlap_after_ms(t_out)
        fill: GeneratedFill | None = None
        if settings.fill_gaps and i >= len(assets):
            render_in = bounds[i] - overlap_before_ms(t_in)
            fill = gap_fill(i, render_in, render_ms, beat_times, beat_grid.audio_file_checksum)
        # A filler stands in for a repeat: the video it replaces keeps its place for later
        # (the range stays valid for the asset, which the filler does not show).
        source_in, source_out = _source_range(
            asset, render_ms, dict(cursor) if fill is not None else cursor
        )
        still_moves = asset.kind == "image" and settings.ken_burns.enabled and fill is None
        segments.append(
            Segment(
                index=i,
                asset_id=asset.id,
                media_type=asset.kind,
                timeline_in_ms=bounds[i],
                timeline_out_ms=bounds[i + 1],
                render_duration_ms=render_ms,
                source_in_ms=source_in,
                source_out_ms=source_out,
                transition_in=t_in,
                transition_out=t_out,
                effects=Effects(
                    ken_burns=ken_burns_move(asset.id, i) if still_moves else None, generated=fill
                ),
            )
        )

    return EDL(
        edl_hash=edl_hash(settings, assets, beat_grid),
        beats_per_cut=settings.beats_per_cut,
        transition=settings.transition,
        ken_burns=settings.ken_burns,
        output=settings.output,
        audio=AudioRef(
            checksum=beat_grid.audio_file_checksum,
            duration_ms=total,
            beat_grid_checksum=beat_grid_checksum(beat_grid),
        ),
        media=media_refs(assets),
        total_duration_ms=total,
        segments=segments,
        fill_gaps=settings.fill_gaps,
        beatless=settings.beatless,
    )
