"""Synthetic music with known beats and downbeats: the demo's song, and the standard tracks
the tests and benches score the beat tracker on.

Each track is drums (kick on 1 and 3, snare on 2 and 4, hats on eighths or quarters) and,
unless it is drums-only, a bass note and a chord per bar, with the chord
changing every bar so the downbeats are identifiable. Everything is numpy and
seeded, so a track is the same bytes on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf

FloatArray = npt.NDArray[np.float64]

BEATS_PER_BAR = 4
TAIL_S = 1.0  # let the last notes ring out so the last beat is not at the file's end

# I–vi–IV–V–iii–ii–V–I in C as MIDI triads: every bar a different chord from its neighbours.
PROGRESSION: tuple[tuple[int, int, int], ...] = (
    (60, 64, 67),
    (57, 60, 64),
    (53, 57, 60),
    (55, 59, 62),
    (52, 55, 59),
    (50, 53, 57),
    (55, 59, 62),
    (60, 64, 67),
)


@dataclass(frozen=True)
class TrackSpec:
    """Parameters of one synthetic track."""

    bpm: float
    bars: int
    drift: float = 0.0  # peak relative tempo deviation of a slow sinusoid, e.g. 0.03
    intro_bars: int = 0  # silent bars before the music starts
    drums_only: bool = False
    hats: Literal["quarters", "eighths"] = "eighths"
    busy: bool = False  # a melody note on random sixteenths, the way a lead or arp fills a bar
    noise_db: float | None = None  # white noise this far below the mix's RMS; None: none
    sample_rate: int = 22050
    seed: int = 0


@dataclass(frozen=True)
class SynthTrack:
    """A written track and its ground truth (seconds)."""

    name: str
    path: Path
    spec: TrackSpec
    beats: FloatArray
    downbeats: FloatArray
    music_start_s: float
    duration_s: float


def beat_times(bpm: float, n_beats: int, drift: float = 0.0, start_s: float = 0.0) -> FloatArray:
    """Beat times whose tempo follows one slow sinusoidal cycle of ±`drift` over the track."""
    nominal_len = n_beats * 60.0 / bpm
    times = np.empty(n_beats)
    t = start_s
    for k in range(n_beats):
        times[k] = t
        local_bpm = bpm * (1.0 + drift * np.sin(2.0 * np.pi * (t - start_s) / nominal_len))
        t += 60.0 / local_bpm
    return times


def _midi_hz(note: float) -> float:
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


def _decay(n: int, sr: int, tau_s: float) -> FloatArray:
    return np.exp(-np.arange(n) / (sr * tau_s))


def _kick(sr: int) -> FloatArray:
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    # A falling pitch sweep is what makes a synthetic kick read as a kick to onset detectors.
    freq = 45.0 + 85.0 * np.exp(-t / 0.03)
    phase = 2.0 * np.pi * np.cumsum(freq) / sr
    return np.sin(phase) * _decay(n, sr, 0.12)


def _snare(sr: int, rng: np.random.Generator) -> FloatArray:
    n = int(0.2 * sr)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    noise = np.diff(noise, prepend=0.0)  # first difference tilts the noise towards the rattle
    body = np.sin(2.0 * np.pi * 185.0 * t)
    return 0.45 * noise * _decay(n, sr, 0.05) + 0.6 * body * _decay(n, sr, 0.07)


def _hat(sr: int, rng: np.random.Generator) -> FloatArray:
    n = int(0.05 * sr)
    noise = rng.standard_normal(n)
    for _ in range(3):  # repeated differencing: a cheap high-pass so hats stay above ~5 kHz
        noise = np.diff(noise, prepend=0.0)
    return noise / 8.0 * _decay(n, sr, 0.012)


def _tone(freqs: Iterable[float], n: int, sr: int, harmonics: int) -> FloatArray:
    t = np.arange(n) / sr
    out = np.zeros(n)
    for f0 in freqs:
        for h in range(1, harmonics + 1):
            if f0 * h < sr / 2:
                out += np.sin(2.0 * np.pi * f0 * h * t) / h
    return out


def _envelope(n: int, sr: int, attack_s: float, release_s: float, tau_s: float) -> FloatArray:
    env = _decay(n, sr, tau_s)
    a = min(n, int(attack_s * sr))
    env[:a] *= np.linspace(0.0, 1.0, a, endpoint=False)
    r = min(n, int(release_s * sr))
    env[n - r :] *= np.linspace(1.0, 0.0, r)
    return env


def _add(buf: FloatArray, start_s: float, sound: FloatArray, sr: int, gain: float) -> None:
    i = int(round(start_s * sr))
    j = min(len(buf), i + len(sound))
    buf[i:j] += gain * sound[: j - i]


def render(spec: TrackSpec) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Render a track to samples; returns (samples, beat times, downbeat times)."""
    sr = spec.sample_rate
    rng = np.random.default_rng(spec.seed)
    intro_s = spec.intro_bars * BEATS_PER_BAR * 60.0 / spec.bpm
    beats = beat_times(spec.bpm, spec.bars * BEATS_PER_BAR, spec.drift, intro_s)
    period = np.diff(beats, append=beats[-1] + 60.0 / spec.bpm)
    buf = np.zeros(int((beats[-1] + period[-1] + TAIL_S) * sr))
    kick, snare = _kick(sr), _snare(sr, rng)
    for k, (t, p) in enumerate(zip(beats, period, strict=True)):
        pos = k % BEATS_PER_BAR
        _add(buf, t, kick if pos in (0, 2) else snare, sr, 0.9 if pos in (0, 2) else 0.7)
        _add(buf, t, _hat(sr, rng), sr, 0.35)
        if spec.hats == "eighths":
            _add(buf, t + p / 2.0, _hat(sr, rng), sr, 0.25)
    if not spec.drums_only:
        _add_harmony(buf, beats, period, sr)
    if spec.busy:
        _add_melody(buf, beats, period, sr, rng)
    if spec.noise_db is not None:
        rms = float(np.sqrt(np.mean(buf**2)))
        buf += rng.standard_normal(len(buf)) * rms * 10.0 ** (spec.noise_db / 20.0)
    buf *= 0.89 / np.max(np.abs(buf))  # about -1 dBFS peak
    return buf, beats, beats[::BEATS_PER_BAR]


def _add_harmony(buf: FloatArray, beats: FloatArray, period: FloatArray, sr: int) -> None:
    for bar, start in enumerate(range(0, len(beats), BEATS_PER_BAR)):
        chord = PROGRESSION[bar % len(PROGRESSION)]
        bar_len = float(np.sum(period[start : start + BEATS_PER_BAR]))
        n = int(bar_len * sr)
        pad_env = _envelope(n, sr, attack_s=0.01, release_s=0.05, tau_s=2.0)
        pad = _tone([_midi_hz(m) for m in chord], n, sr, harmonics=4) * pad_env
        _add(buf, beats[start], pad, sr, 0.12)
        bass_env = _envelope(n, sr, attack_s=0.005, release_s=0.05, tau_s=0.8)
        bass = _tone([_midi_hz(chord[0] - 24)], n, sr, harmonics=3) * bass_env
        _add(buf, beats[start], bass, sr, 0.35)


def _add_melody(
    buf: FloatArray, beats: FloatArray, period: FloatArray, sr: int, rng: np.random.Generator
) -> None:
    n = int(0.12 * sr)
    decay = _decay(n, sr, 0.05)
    for t, p in zip(beats, period, strict=True):
        for k in range(4):
            if rng.random() < 0.35:
                note = 72 + int(rng.choice([0, 2, 4, 7, 9, 12]))  # C major pentatonic
                _add(buf, t + k * p / 4.0, _tone([_midi_hz(note)], n, sr, 1) * decay, sr, 0.15)


def write_track(name: str, spec: TrackSpec, directory: Path) -> SynthTrack:
    """Render `spec`, write it as 16-bit WAV under `directory` and return it with its truth."""
    samples, beats, downbeats = render(spec)
    path = directory / f"{name}.wav"
    sf.write(path, samples, spec.sample_rate, subtype="PCM_16")
    intro_s = float(beats[0]) if spec.intro_bars else 0.0
    return SynthTrack(
        name=name,
        path=path,
        spec=spec,
        beats=beats,
        downbeats=downbeats,
        music_start_s=intro_s,
        duration_s=len(samples) / spec.sample_rate,
    )


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
