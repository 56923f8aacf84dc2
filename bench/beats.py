"""Beat analysis on the synthetic test tracks: our analyzer beside plain librosa.beat_track.

Run from the repository root: `.venv/bin/python -m bench.beats [--repeat N] [--real]`.
Prints figures only. The synthetic part's last line is
`RESULT beat_f=N librosa_default_f=N downbeat_acc=N analyze_rtf=N` where beat_f and
librosa_default_f are minima over tracks, downbeat_acc is the minimum over tracks with
chords, and analyze_rtf is audio seconds per analysis second (warm, best of --repeat).

`--real` adds real music (bench.real_music: Debian's game soundtracks, a reference tempo
where independent trackers agree; needs `pip install -e .[bench]` for Essentia and
Debian's apt-get) and the analysis time of a 10-minute song beside plain librosa's, with
the line `RESULT_REAL exact=N/M octave_ok=N/M conf_right=N conf_wrong=N ten_min_s=N
librosa_ten_min_s=N` (and the exact share on the tracks where the two trackers that are not
librosa, on which our analyzer builds, agree).
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
from bench.real_music import bpm_tools, fetch_tracks, reference
from engine import beats
from engine.audio_samples import decode_mono
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
    parser.add_argument("--real", action="store_true", help="add real music (downloads ~95 MB)")
    parser.add_argument(
        "--cache", type=Path, default=Path(".data/bench-music"), help="where real music is kept"
    )
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
    if args.real:
        _real_music(args.cache)


def _level(bpm: float | None, truth: float) -> str:
    """'exact' at the reference's metrical level, 'octave' at twice/half/thrice/a third."""
    if bpm is None:
        return "none"
    if abs(bpm / truth - 1.0) <= 0.04:
        return "exact"
    if any(abs(bpm / (truth * k) - 1.0) <= 0.04 for k in (0.5, 2.0, 1 / 3, 3.0)):
        return "octave"
    return "other"


ONLY_LIBROSA_ESSENTIA = "  (only librosa and Essentia agree)"


def _real_music(cache: Path) -> None:
    """Our tempo against the trackers' agreed tempo on each real track, then a 10-min song."""
    tracks = fetch_tracks(cache)
    command = bpm_tools(cache)
    print(
        f"\n{'real track':26s} {'secs':>5s} {'essent':>6s} {'bpmtl':>6s} {'librsa':>6s} "
        f"{'ref':>6s} {'ours':>6s} {'conf':>5s} {'level':>6s} {'an_s':>5s}"
    )
    levels: list[str] = []
    independent: list[str] = []  # tracks where Essentia and bpm-tools (no librosa) agree
    conf_right: list[float] = []
    conf_wrong: list[float] = []
    longest: tuple[float, np.ndarray] = (0.0, np.zeros(0))
    for path in tracks:
        samples, rate = decode_mono(path)
        y44 = librosa.resample(samples.astype(np.float32), orig_sr=rate, target_sr=44_100)
        ref = reference(y44, command)
        started = time.perf_counter()
        grid = beats.analyze_samples(samples, rate, checksum=path.name)
        seconds = time.perf_counter() - started
        level = _level(grid.bpm, ref.tempo) if ref.tempo else "n/a"
        if ref.tempo:
            levels.append(level)
            (conf_right if level == "exact" else conf_wrong).append(grid.bpm_confidence)
            if {"essentia", "bpm-tools"} <= set(ref.agreeing):
                independent.append(level)
        if len(samples) / rate > longest[0]:
            longest = (len(samples) / rate, samples if rate == 22_050 else y44[::2])
        print(
            f"{path.stem[:26]:26s} {len(samples) / rate:5.0f} {_num(ref.essentia)} "
            f"{_num(ref.bpm_tools)} {_num(ref.librosa)} {_num(ref.tempo)} {_num(grid.bpm)} "
            f"{grid.bpm_confidence:5.2f} {level:>6s} {seconds:5.1f}"
            + (
                "  (only librosa and Essentia agree)"
                if ref.agreeing == ("essentia", "librosa")
                else ""
            )
        )
    ten_min = np.resize(longest[1], 600 * 22_050)  # the longest track, looped to 10 minutes
    _, ours_s = _best_time(partial(beats.analyze_samples, ten_min, 22_050, "ten"), 1)
    _, lib_s = _best_time(
        partial(librosa.beat.beat_track, y=ten_min.astype(np.float32), sr=22_050), 1
    )
    scored = len(levels)
    right, wrong = np.mean(conf_right or [0.0]), np.mean(conf_wrong or [0.0])
    print(
        f"RESULT_REAL exact={levels.count('exact')}/{scored} "
        f"octave_ok={levels.count('exact') + levels.count('octave')}/{scored} "
        f"exact_where_non_librosa_agree={independent.count('exact')}/{len(independent)} "
        f"conf_right={right:.2f} conf_wrong={wrong:.2f} "
        f"ten_min_s={ours_s:.1f} librosa_ten_min_s={lib_s:.1f} ratio={ours_s / lib_s:.2f}"
    )


def _num(value: float | None) -> str:
    return f"{value:6.1f}" if value else "     -"


if __name__ == "__main__":
    main()
