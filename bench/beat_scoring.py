"""Scoring a beat grid against the ground truth of a synthetic track (benches and tests)."""

from __future__ import annotations

import mir_eval
import numpy as np

from engine.sample_music import FloatArray

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
