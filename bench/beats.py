"""Beat analysis on the synthetic test tracks: our analyzer beside plain librosa.beat_track.

Run from the repository root: `.venv/bin/python -m bench.beats [--repeat N]`.
Prints figures only. The last line is
`RESULT beat_f=N librosa_default_f=N downbeat_acc=N analyze_rtf=N` where beat_f and
librosa_default_f are minima over tracks, downbeat_acc is the minimum over tracks with
chords, and analyze_rtf is audio seconds per analysis second (warm, best of --repeat).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import librosa
import numpy as np
import structlog

from bench.beat_scoring import beat_f_measure, downbeat_accuracy, matched_offsets
from engine import beats
from engine.sample_music import SynthTrack, write_standard_tracks

T = TypeVar("T")


@dataclass(frozen=True)
class Score:
    """How one analyzer did on one track."""

    f: float
    offset_ms: float
    seconds: float


def _best_time(fn: Callable[[], T], repeat: int) -> tuple[T, float]:
    """Result of `fn` and its fastest wall time over `repeat` runs (the machine is shared)."""
    timings = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - started)
    return result, min(timings)


def _score(track: SynthTrack, estimated: np.ndarray, seconds: float) -> Score:
    offsets = matched_offsets(track.beats, estimated)
    offset_ms = 1000.0 * float(np.mean(offsets)) if len(offsets) else float("nan")
    return Score(beat_f_measure(track.beats, estimated), offset_ms, seconds)


def _plain_librosa(path: Path) -> np.ndarray:
    y, sr = librosa.load(path, sr=22050)
    _, times = librosa.beat.beat_track(y=y, sr=sr, units="time")
    return np.asarray(times, dtype=np.float64)


def main() -> None:
    """Analyse every synthetic track with both analyzers and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per track (best kept)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    with tempfile.TemporaryDirectory() as tmp:
        tracks = write_standard_tracks(Path(tmp))
        started = time.perf_counter()
        beats.warm_up()
        _plain_librosa(next(iter(tracks.values())).path)
        print(f"warm-up {time.perf_counter() - started:.2f} s")
        header = (
            f"{'track':14s} {'bpm':>6s} {'ours_bpm':>8s} {'ours_f':>6s} {'off_ms':>6s} "
            f"{'secs':>5s} {'lib_f':>6s} {'lib_off':>7s} {'secs':>5s} "
            f"{'db_acc':>6s} {'db_conf':>7s}"
        )
        print(header)
        ours_f, lib_f, db_acc, audio_s, analysis_s = [], [], [], 0.0, 0.0
        for name, track in tracks.items():
            grid, secs = _best_time(partial(beats.analyze, track.path), args.repeat)
            times = np.array([b.time_ms / 1000.0 for b in grid.beats])
            ours = _score(track, times, secs)
            lib_times, lib_secs = _best_time(partial(_plain_librosa, track.path), args.repeat)
            lib = _score(track, lib_times, lib_secs)
            downbeats = np.array([b.time_ms / 1000.0 for b in grid.beats if b.is_downbeat])
            acc = downbeat_accuracy(track.downbeats, downbeats)
            acc_text = "  n/a" if track.spec.drums_only else f"{acc:6.3f}"
            if not track.spec.drums_only:
                db_acc.append(acc)
            ours_f.append(ours.f)
            lib_f.append(lib.f)
            audio_s += track.duration_s
            analysis_s += ours.seconds
            print(
                f"{name:14s} {track.spec.bpm:6.1f} {grid.bpm:8.2f} {ours.f:6.3f} "
                f"{ours.offset_ms:6.1f} {ours.seconds:5.2f} {lib.f:6.3f} {lib.offset_ms:7.1f} "
                f"{lib.seconds:5.2f} {acc_text:>6s} {grid.downbeat_confidence:7.2f}"
            )
    print(
        f"RESULT beat_f={min(ours_f):.3f} librosa_default_f={min(lib_f):.3f} "
        f"downbeat_acc={min(db_acc):.3f} analyze_rtf={audio_s / analysis_s:.1f}"
    )


if __name__ == "__main__":
    main()
