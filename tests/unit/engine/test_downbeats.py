"""Bar positions from per-beat downbeat evidence: the Viterbi over positions in a bar."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.downbeats import viterbi_bar_positions


def _clean_evidence(n: int, phase: int) -> np.ndarray:
    return np.where((np.arange(n) + phase) % 4 == 0, 3.0, -1.0)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(min_value=8, max_value=80), phase=st.integers(min_value=0, max_value=3))
def test_viterbi_follows_clear_evidence(n: int, phase: int) -> None:
    positions = viterbi_bar_positions(_clean_evidence(n, phase), np.ones(n - 1, np.int64))
    assert positions.tolist() == [(i + phase) % 4 for i in range(n)]


def test_a_dropped_beat_does_not_shift_later_bars() -> None:
    evidence = _clean_evidence(40, 0)
    kept = np.delete(np.arange(40), 17)  # the tracker lost beat 17
    advances = np.diff(kept).astype(np.int64)
    positions = viterbi_bar_positions(evidence[kept], advances)
    assert positions.tolist() == (kept % 4).tolist()


def test_one_misleading_beat_does_not_move_the_bar() -> None:
    evidence = _clean_evidence(40, 0)
    evidence[21] = 4.0  # a loud fill on beat 2 of bar 6
    positions = viterbi_bar_positions(evidence, np.ones(39, np.int64))
    assert positions.tolist() == [i % 4 for i in range(40)]
