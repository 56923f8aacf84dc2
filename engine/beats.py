"""Beat, tempo and downbeat analysis of a music track with librosa, cached by file checksum.

Pipeline: onset envelopes → tempo from a prior, stepped up an octave on pulse evidence and
checked against rival metrical levels → dynamic-programming
beat tracking (follows drift) → beats moved onto their attacks (beat_tracking) → bar
position by a small Viterbi over chroma change and bass weight (downbeats) → BeatGrid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from engine.numba_cache import keep_numba_cache

keep_numba_cache()

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
import structlog  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from engine.audio_samples import decode_mono  # noqa: E402
from engine.beat_grid import Beat, BeatGrid, Measure  # noqa: E402
from engine.beat_tracking import (  # noqa: E402
    HOP,
    PULSE_MIN,
    SNAP_S,
    SR,
    Features,
    Tempo,
    beat_confidence,
    bpm_confidence,
    onset_features,
    place_beats,
    pulse_clarity,
    rise,
    track_tempo,
)
from engine.downbeats import bar_positions, expected_advances  # noqa: E402
from engine.files import atomic_output, file_checksum  # noqa: E402

__all__ = [
    "ANALYZER",
    "analyze",
    "analyze_samples",
    "grid_cache_path",
    "warm_up",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ANALYZER_VERSION = "1.1.0"
ANALYZER = f"beatstitch-beats/{ANALYZER_VERSION} librosa/{version('librosa')}"

LEAD_IN = 4 * HOP  # silence put before the audio so an attack at sample 0 is an onset too

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Found:
    """Beats found in a track, times in seconds from the start of the audio."""

    times: FloatArray
    positions: IntArray
    confidence: FloatArray
    downbeat_confidence: float
    tempo: Tempo


# --- public API ---------------------------------------------------------------------------


def grid_cache_path(cache_dir: Path, checksum: str) -> Path:
    """Where analyze() keeps the grid of the audio file whose sha256 is `checksum`."""
    return cache_dir / f"beat_grid_{checksum}.json"


def analyze(audio_path: Path, cache_dir: Path | None = None) -> BeatGrid:
    """Analyse a track's beats, tempo and bars, reusing `<cache_dir>/beat_grid_<sha256>.json`."""
    checksum = file_checksum(audio_path)
    cache_path = grid_cache_path(cache_dir, checksum) if cache_dir is not None else None
    if cache_path is not None and (cached := _read_cache(cache_path, checksum)) is not None:
        log.info("beat_grid.cache_hit", path=str(audio_path), cache=str(cache_path))
        return cached
    started = time.perf_counter()
    samples, sample_rate = decode_mono(audio_path)
    grid = analyze_samples(samples, sample_rate, checksum)
    log.info(
        "beat_grid.analyzed",
        path=str(audio_path),
        bpm=grid.bpm,
        beats=len(grid.beats),
        downbeat_confidence=grid.downbeat_confidence,
        seconds=round(time.perf_counter() - started, 3),
    )
    if cache_path is not None:
        _write_cache(cache_path, grid)
    return grid


def warm_up() -> None:
    """Run a tiny analysis so numba compiles (or loads its disk cache) once per process."""
    t = np.arange(4 * SR) / SR
    clicks = np.sin(2 * np.pi * 220.0 * t) * np.exp(-(t % 0.5) / 0.05)
    analyze_samples(clicks, SR, checksum="warm-up")


def analyze_samples(samples: FloatArray, sample_rate: int, checksum: str) -> BeatGrid:
    """Analyse mono samples at `sample_rate`; `checksum` names the file they came from."""
    y = np.asarray(samples, dtype=np.float32)
    if sample_rate != SR:
        y = librosa.resample(y, orig_sr=sample_rate, target_sr=SR, res_type="soxr_hq")
    duration_ms = int(round(1000.0 * len(samples) / sample_rate))
    found = _find_beats(y)
    if found is None:
        # No clear beat (silence, a drone, speech): no tempo is reported, none was measured.
        return _grid(
            beats=[],
            measures=[],
            bpm=None,
            bpm_confidence=0.0,
            downbeat_confidence=0.0,
            sample_rate=sample_rate,
            duration_ms=duration_ms,
            checksum=checksum,
        )
    advances = expected_advances(found.times)
    period = float(found.times[-1] - found.times[0]) / float(advances.sum())
    beats = _beats(found)
    return _grid(
        beats=beats,
        measures=_measures(beats, period, duration_ms),
        bpm=round(60.0 / period, 2),
        bpm_confidence=bpm_confidence(found.times, found.tempo),
        downbeat_confidence=found.downbeat_confidence,
        sample_rate=sample_rate,
        duration_ms=duration_ms,
        checksum=checksum,
    )


# --- decoding and cache -------------------------------------------------------------------


def _read_cache(path: Path, checksum: str) -> BeatGrid | None:
    """Return the cached grid if it is readable, for this file and from this analyzer."""
    try:
        grid = BeatGrid.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as exc:
        log.warning("beat_grid.cache_unreadable", cache=str(path), error=str(exc))
        return None
    if grid.audio_file_checksum != checksum or grid.analyzer != ANALYZER:
        return None  # an older analyzer's grid is recomputed, not trusted
    return grid


def _write_cache(path: Path, grid: BeatGrid) -> None:
    """Write atomically so a concurrent reader never sees half a file."""
    with atomic_output(path) as tmp:
        tmp.write_text(grid.model_dump_json(indent=1), encoding="utf-8")


def _find_beats(y: npt.NDArray[np.float32]) -> _Found | None:
    """Beats, bar positions and confidences, or None when no clear beat is found."""
    features = onset_features(np.concatenate([np.zeros(LEAD_IN, dtype=np.float32), y]))
    if pulse_clarity(features.full) < PULSE_MIN:
        return None
    tempo = track_tempo(features)
    padded = place_beats(tempo.frames, features)
    padded = padded[padded >= LEAD_IN / SR - SNAP_S]  # an attack may open the file early
    if len(padded) < 2:
        return None
    positions, downbeat_confidence = _bar_positions(padded, features)
    return _Found(
        times=np.maximum(padded - LEAD_IN / SR, 0.0),
        positions=positions,
        confidence=beat_confidence(padded, features),
        downbeat_confidence=downbeat_confidence,
        tempo=tempo,
    )


def _bar_positions(beat_times: FloatArray, features: Features) -> tuple[IntArray, float]:
    """Bar position (0 = downbeat) of every beat, and how sure we are of the bar phase."""
    n_frames = features.chroma.shape[1]
    frames = np.clip(librosa.time_to_frames(beat_times, sr=SR, hop_length=HOP), 0, n_frames - 1)
    bass = rise(features.bass, frames)
    return bar_positions(frames, expected_advances(beat_times), features.chroma, bass)


# --- assembly -----------------------------------------------------------------------------


def _beats(found: _Found) -> list[Beat]:
    return [
        Beat(
            time_ms=int(round(t * 1000.0)),
            beat_number=int(p) + 1,
            is_downbeat=bool(p == 0),
            confidence=round(float(c), 3),
        )
        for t, p, c in zip(found.times, found.positions, found.confidence, strict=True)
    ]


def _measures(beats: list[Beat], period_s: float, duration_ms: int) -> list[Measure]:
    """Bars from each downbeat to the next; beats before the first downbeat are a pickup."""
    starts = [i for i, b in enumerate(beats) if b.is_downbeat]
    measures = []
    for n, (i, j) in enumerate(zip(starts, [*starts[1:], len(beats)], strict=True), start=1):
        if j < len(beats):
            end_ms = beats[j].time_ms
        else:
            end_ms = min(duration_ms, beats[-1].time_ms + int(round(period_s * 1000.0)))
        measures.append(
            Measure(number=n, start_ms=beats[i].time_ms, end_ms=end_ms, beat_count=j - i)
        )
    return measures


def _grid(
    *,
    beats: list[Beat],
    measures: list[Measure],
    bpm: float | None,
    bpm_confidence: float,
    downbeat_confidence: float,
    sample_rate: int,
    duration_ms: int,
    checksum: str,
) -> BeatGrid:
    return BeatGrid(
        bpm=bpm,
        bpm_confidence=bpm_confidence,
        downbeat_confidence=downbeat_confidence,
        beats=beats,
        measures=measures,
        sample_rate=sample_rate,
        duration_ms=duration_ms,
        analyzer=ANALYZER,
        audio_file_checksum=checksum,
    )
