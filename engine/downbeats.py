"""Bar positions of tracked beats: which beat starts each bar, and how sure that is (pure).

Each beat gets evidence for "a bar starts here" (the harmony changes, the bass or kick is
heavy); a small Viterbi over the positions in a 4-beat bar then picks the most likely
position of every beat, allowing one dropped or doubled beat to shift the count once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BEATS_PER_BAR = 4
CHORD_CHANGE = 0.1  # cosine distance between beat chromas that reads as a clear chord change
# Bar position advances one less (an extra beat), as the beat gap says, or one more (a lost beat).
TRANSITION_LOGP = np.log(np.array([0.01, 0.98, 0.01]))


def bar_positions(
    frames: IntArray, advances: IntArray, chroma: FloatArray, bass_rise: FloatArray
) -> tuple[IntArray, float]:
    """Bar position (0 = downbeat) of every beat, and how sure we are of the bar phase.

    `frames`: each beat's frame on the chroma's grid; `advances`: expected_advances of
    the beats; `bass_rise`: the bass onset strength around each beat.
    """
    evidence = _downbeat_evidence(frames, chroma, bass_rise)
    positions = viterbi_bar_positions(evidence, advances)
    return positions, _phase_confidence(evidence, positions)


def viterbi_bar_positions(evidence: FloatArray, advances: IntArray) -> IntArray:
    """Most likely bar position (0 = downbeat) of each beat, given per-beat downbeat evidence.

    `advances[i]` is how many beats lie between beat i and i+1 (1 unless beats are missing).
    The downbeat state earns the evidence and the other states share its loss. A position
    may also skip or repeat at a price, so one dropped or doubled beat moves the bar count
    once instead of misaligning every later bar.
    """
    n, k = len(evidence), BEATS_PER_BAR
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    emit = np.where(np.arange(k)[None, :] == 0, evidence[:, None], -evidence[:, None] / (k - 1))
    score = emit[0].copy()
    back = np.zeros((n, k), dtype=np.int64)
    states = np.arange(k)
    for i in range(1, n):
        best = np.full(k, -np.inf)
        for delta, logp in zip((-1, 0, 1), TRANSITION_LOGP, strict=True):
            prev = (states - (advances[i - 1] + delta)) % k
            cand = score[prev] + logp
            better = cand > best
            best[better], back[i, better] = cand[better], prev[better]
        score = best + emit[i]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def expected_advances(beat_times: FloatArray) -> IntArray:
    """Beats elapsed from each beat to the next: 1, or more across a gap we left out."""
    ibi = np.diff(beat_times)
    if len(ibi) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.maximum(1, np.round(ibi / float(np.median(ibi)))).astype(np.int64)


def _downbeat_evidence(frames: IntArray, chroma: FloatArray, bass_rise: FloatArray) -> FloatArray:
    """Per-beat score for "a bar starts here": harmony changes and bass/kick weight."""
    n_frames = chroma.shape[1]
    period = max(1, int(np.median(np.diff(frames))))
    bounds = np.append(frames, min(n_frames, int(frames[-1]) + period))
    # Chroma distance keeps its absolute scale: over drums alone it stays near zero and must
    # not be inflated into evidence. Bass rise only compares beats within the track.
    change = np.minimum(_chroma_change(_segment_medians(chroma, bounds)), 3 * CHORD_CHANGE)
    return change / CHORD_CHANGE + _zscore(bass_rise)


def _segment_medians(features: FloatArray, bounds: IntArray) -> FloatArray:
    """Median feature vector over each [bounds[i], bounds[i+1]) span: one row per beat."""
    rows = [
        np.median(features[:, lo : max(int(hi), int(lo) + 1)], axis=1)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return np.asarray(rows, dtype=np.float64)


def _chroma_change(chroma: FloatArray, width: int = 2) -> FloatArray:
    """Cosine distance between the mean chroma of the `width` beats before and from each beat."""
    n = len(chroma)
    out = np.zeros(n)
    for i in range(1, n):
        before = chroma[max(0, i - width) : i].mean(axis=0)
        after = chroma[i : i + width].mean(axis=0)
        denom = float(np.linalg.norm(before) * np.linalg.norm(after))
        out[i] = 1.0 - float(before @ after) / denom if denom > 0 else 0.0
    if n > 1:
        out[0] = float(np.median(out[1:]))  # nothing before the first beat to compare with
    return out


def _zscore(x: FloatArray) -> FloatArray:
    std = float(np.std(x))
    return (x - float(np.mean(x))) / std if std > 1e-9 else np.zeros_like(x)


def _phase_confidence(evidence: FloatArray, positions: IntArray) -> float:
    """How clearly the downbeat position beats the runner-up position, mapped into 0..1.

    The margin is a t-statistic over bars, so a long track with a small but consistent
    margin earns confidence, while drums with equal weight on beats 1 and 3 do not.
    """
    groups = [evidence[positions == p] for p in range(BEATS_PER_BAR)]
    if any(len(g) < 2 for g in groups):
        return 0.0
    runner_up = max(groups[1:], key=lambda g: float(np.mean(g)))
    diff = float(np.mean(groups[0]) - np.mean(runner_up))
    spread = np.sqrt(np.var(groups[0]) / len(groups[0]) + np.var(runner_up) / len(runner_up))
    t = diff / max(float(spread), 1e-6)
    return round(float(1.0 - np.exp(-max(t, 0.0) / 4.0)), 3)
