"""plan_pieces: a piece starts once both of its clips' sources are known, and is rendered
again when one of them changes."""

from __future__ import annotations

from engine.pieces import PieceSteps, plan_pieces

# Segments 0..4; the boundary after 2 is a cut, so pieces follow 0, 1 and 3.
BOUNDARIES = [0, 1, 3]


def test_a_piece_waits_for_both_of_its_clips() -> None:
    assert plan_pieces(BOUNDARIES, {}, {}) == PieceSteps(start={}, restart={})
    assert plan_pieces(BOUNDARIES, {0: "remote"}, {}).start == {}
    assert plan_pieces(BOUNDARIES, {0: "remote", 1: "local"}, {}).start == {0: ("remote", "local")}
    # Segment 4's clip alone does not make the piece after 3 ready.
    assert plan_pieces(BOUNDARIES, {0: "remote", 4: "remote"}, {}).start == {}


def test_clips_started_in_order_start_each_piece_right_behind_its_incoming_clip() -> None:
    sources: dict[int, str] = {}
    started: dict[int, tuple[str, str]] = {}
    order = []
    for segment in range(5):
        sources[segment] = "source"
        steps = plan_pieces(BOUNDARIES, sources, started)
        assert steps.restart == {}
        started.update(steps.start)
        order.append((segment, sorted(steps.start)))
    assert order == [(0, []), (1, [0]), (2, [1]), (3, []), (4, [3])]


def test_a_cut_never_gets_a_piece() -> None:
    everything = {i: "source" for i in range(5)}
    assert sorted(plan_pieces(BOUNDARIES, everything, {}).start) == [0, 1, 3]


def test_a_started_piece_is_rendered_again_when_a_side_changes() -> None:
    started = {0: ("remote", "remote"), 1: ("remote", "remote"), 3: ("local", "local")}
    sources = {0: "remote", 1: "placeholder", 2: "remote", 3: "local", 4: "local"}
    steps = plan_pieces(BOUNDARIES, sources, started)
    assert steps.start == {}
    assert steps.restart == {0: ("remote", "placeholder"), 1: ("placeholder", "remote")}
    # Once restarted with the new sides, nothing is left to do.
    started.update(steps.restart)
    assert plan_pieces(BOUNDARIES, sources, started) == PieceSteps(start={}, restart={})


def test_started_and_unstarted_pieces_are_told_apart() -> None:
    sources = {i: "source" for i in range(5)}
    steps = plan_pieces(BOUNDARIES, {**sources, 4: "placeholder"}, {0: ("source", "source")})
    assert steps.start == {1: ("source", "source"), 3: ("source", "placeholder")}
    assert steps.restart == {}
