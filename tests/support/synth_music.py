"""The standard synthetic tracks and their scoring against ground truth, for tests and benches.

The generator itself lives in engine.sample_music (the demo uses it too)."""

from __future__ import annotations

from pathlib import Path

import mir_eval
import numpy as np

from engine.sample_music import (
    BEATS_PER_BAR,
    FloatArray,
    SynthTrack,
    TrackSpec,
    beat_times,
    render,
    write_track,
)

__all__ = [
    "BEATS_PER_BAR",
    "STANDARD_TRACKS",
    "SynthTrack",
    "TrackSpec",
    "beat_times",
    "render",
    "write_standard_tracks",
    "write_track",
]

STANDARD_TRACKS: dict[str, TrackSpec] = {
    "steady_90": TrackSpec(bpm=90.0, bars=10, seed=1),
    "steady_123": TrackSpec(bpm=123.0, bars=12, seed=2),
    "steady_174": TrackSpec(bpm=174.0, bars=16, seed=3),
    "drift_3pct": TrackSpec(bpm=116.0, bars=12, drift=0.03, seed=4),
    "silent_intro": TrackSpec(bpm=100.0, bars=12, intro_bars=2, seed=5),
    "drums_only": TrackSpec(bpm=110.0, bars=12, drums_only=True, seed=6),
    # A busy lead over noise: onsets everywhere, no digital silence between the hits.
    "busy_174": TrackSpec(bpm=174.0, bars=16, busy=True, noise_db=-30.0, seed=7),
}


def write_standard_tracks(directory: Path) -> dict[str, SynthTrack]:
    """Write every track of STANDARD_TRACKS under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return {name: write_track(name, spec, directory) for name, spec in STANDARD_TRACKS.items()}


# --- scoring against the ground truth ---------------------------------------------------------

MATCH_WINDOW_S = 0.07


def beat_f_measure(truth: FloatArray, estimated: FloatArray) -> float:
    """mir_eval's beat F-measure with a ±70 ms window, over the whole track (no 5 s trim)."""
    return float(mir_eval.beat.f_measure(truth, estimated, f_measure_threshold=MATCH_WINDOW_S))


def matched_offsets(truth: FloatArray, estimated: FloatArray) -> FloatArray:
    """Estimated minus true time for each estimate within the window of a true beat."""
    if len(truth) == 0 or len(estimated) == 0:
        return np.zeros(0)
    nearest = truth[np.argmin(np.abs(truth[None, :] - estimated[:, None]), axis=1)]
    offsets = estimated - nearest
    return offsets[np.abs(offsets) <= MATCH_WINDOW_S]


def downbeat_accuracy(truth: FloatArray, estimated: FloatArray) -> float:
    """Share of bars whose downbeat is found and that hold no other estimated downbeat."""
    if len(truth) == 0:
        return 0.0
    bar = float(np.median(np.diff(truth))) if len(truth) > 1 else np.inf
    edges = np.append(truth, truth[-1] + bar) - MATCH_WINDOW_S
    right = 0
    for start, lo, hi in zip(truth, edges[:-1], edges[1:], strict=True):
        in_bar = estimated[(estimated >= lo) & (estimated < hi)]
        right += int(len(in_bar) == 1 and abs(in_bar[0] - start) <= MATCH_WINDOW_S)
    return right / len(truth)
