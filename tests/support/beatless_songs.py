"""Songs with no beat to find: silence, a drone, speech-like syllables and noise (numpy).

Each is a function of (seconds, rate) giving float32 mono samples; write them with
soundfile. The speech stand-in is voiced syllables of random length and pitch with
irregular pauses, the rhythm of talk rather than of music.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


def silence(seconds: float, rate: int) -> Samples:
    """Digital silence."""
    return np.zeros(int(seconds * rate), np.float32)


def drone(seconds: float, rate: int) -> Samples:
    """Four sustained tones with a slow vibrato and a slow swell."""
    t = np.arange(int(seconds * rate)) / rate
    wobble = 1 + 0.003 * np.sin(2 * np.pi * 0.2 * t)
    tones = sum(np.sin(2 * np.pi * f * t * wobble) for f in (55.0, 82.5, 110.0, 165.0))
    return (0.2 * tones * (0.7 + 0.3 * np.sin(2 * np.pi * t / 13))).astype(np.float32)


def speech_like(seconds: float, rate: int, seed: int = 1) -> Samples:
    """Syllables of 60–300 ms at 100–220 Hz, some breathy, with pauses of talk."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * rate), np.float32)
    i = 0
    while i < len(y):
        n = int(rng.uniform(0.06, 0.3) * rate)
        t = np.arange(n) / rate
        syllable = np.sin(2 * np.pi * rng.uniform(100, 220) * t * (1 + 0.1 * t)) * np.hanning(n)
        if rng.random() < 0.3:
            syllable += 0.3 * rng.standard_normal(n) * np.hanning(n)
        y[i : i + n] += 0.3 * syllable[: len(y) - i]
        pause = rng.exponential(0.12) + (rng.uniform(0.3, 0.9) if rng.random() < 0.15 else 0.0)
        i += n + int(pause * rate)
    return y


def noise(seconds: float, rate: int, seed: int = 2) -> Samples:
    """Steady white noise."""
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * rate))).astype(
        np.float32
    )


BEATLESS: dict[str, Callable[[float, int], Samples]] = {
    "silence": silence,
    "drone": drone,
    "speech": speech_like,
    "noise": noise,
}
