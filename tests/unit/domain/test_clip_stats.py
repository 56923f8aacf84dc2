"""The clip_stats fold: worked examples and properties over any order-respecting sequence."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.clip_stats import JobClipState, TaskStatus, clip_stats, fold_clip, fold_clip_events
from events.payloads import ClipTaskQueued, ClipTaskStarted
from events.payloads.common import FailureReason, SourceType
from tests.support.clip_events import stamp, task_lifecycle

JOB = "job-1"
R, L, P = SourceType.REMOTE, SourceType.LOCAL, SourceType.PLACEHOLDER


def fold_all(events: list[Any]) -> JobClipState:
    return fold_clip_events(JobClipState(render_job_id=JOB), events)


def test_remote_local_placeholder_and_failed_outcomes_are_counted() -> None:
    payloads = (
        task_lifecycle(JOB, "t1", duration_ms=100)
        + task_lifecycle(
            JOB, "t2", fallbacks=((R, L, FailureReason.CDN_ERROR),), outcome=L, duration_ms=200
        )
        + task_lifecycle(
            JOB,
            "t3",
            retries=2,
            fallbacks=((R, L, FailureReason.TIMEOUT), (L, P, FailureReason.NOT_FOUND)),
            outcome=P,
            duration_ms=300,
        )
        + task_lifecycle(JOB, "t4", outcome=None, duration_ms=400)
    )
    state = fold_all(stamp(payloads))
    stats = clip_stats(state)
    assert (stats.total_tasks, stats.success_tasks, stats.failed_tasks) == (4, 2, 2)
    assert stats.placeholder_tasks == 1
    assert stats.total_clips == 3  # the failed task produced no clip at all
    assert stats.fallback_reason_counts == {"cdn_error": 1, "not_found": 1, "timeout": 1}
    assert stats.avg_task_duration_ms == 250.0
    assert stats.p95_task_duration_ms == 400.0
    assert stats.peak_parallelism == 1  # run one after the other
    assert state.tasks["t3"].retries == 2
    assert state.tasks["t3"].status is TaskStatus.FALLBACK_PLACEHOLDER
    assert stats.generated_at == stamp(payloads)[-1].occurred_at.isoformat()


def test_overlapping_tasks_raise_peak_parallelism() -> None:
    a, b, c = (task_lifecycle(JOB, t) for t in ("a", "b", "c"))
    # a and b start, a ends, c starts (2 running), b and c end.
    order = [a[0], b[0], c[0], a[1], b[1], a[2], c[1], b[2], c[2]]
    assert clip_stats(fold_all(stamp(order))).peak_parallelism == 2


def test_redelivered_events_change_nothing() -> None:
    events = stamp(task_lifecycle(JOB, "t1") + task_lifecycle(JOB, "t2"))
    once = fold_all(events)
    twice = fold_all(events + events)
    assert twice == once
    again = fold_clip(once, events[-1])
    assert again.tasks == once.tasks and clip_stats(again) == clip_stats(once)


def test_queued_after_started_keeps_the_task_running() -> None:
    queued, started = stamp(task_lifecycle(JOB, "t1")[:2])
    state = fold_all([started, queued])
    assert state.tasks["t1"].status is TaskStatus.RUNNING
    assert state.tasks["t1"].queued_at == queued.occurred_at


def test_a_second_outcome_does_not_count_twice() -> None:
    first = task_lifecycle(JOB, "t1", duration_ms=100)
    second = task_lifecycle(JOB, "t1", outcome=P, duration_ms=900)[-1]
    stats = clip_stats(fold_all(stamp([*first, second])))
    assert (stats.total_tasks, stats.success_tasks, stats.placeholder_tasks) == (1, 1, 0)


def test_a_late_start_after_the_outcome_does_not_run_the_task_again() -> None:
    life = task_lifecycle(JOB, "t1")
    state = fold_all(stamp([*life, life[1]]))
    assert state.tasks["t1"].status is TaskStatus.SUCCESS
    assert state.peak_parallelism == 1


# --- properties -------------------------------------------------------------------------

OUTCOMES = st.sampled_from([R, L, P, None])


@st.composite
def task_sequences(draw: st.DrawFn) -> list[list[Any]]:
    n = draw(st.integers(min_value=1, max_value=8))
    tasks = []
    for i in range(n):
        outcome = draw(OUTCOMES)
        chain = {
            R: (),
            L: ((R, L, FailureReason.CDN_ERROR),),
            P: ((R, L, FailureReason.TIMEOUT), (L, P, FailureReason.NOT_FOUND)),
            None: ((R, L, FailureReason.DECODE_ERROR),),
        }[outcome]
        tasks.append(
            task_lifecycle(
                JOB,
                f"t{i}",
                video=f"v{i % 3}",
                index=i,
                retries=draw(st.integers(min_value=0, max_value=2)),
                fallbacks=chain,
                outcome=outcome,
                duration_ms=draw(st.integers(min_value=0, max_value=10_000)),
            )
        )
    return tasks


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[list[Any]], list[Any]]:
    """Merge per-task sequences in any order that keeps each task's own order; redeliver some."""
    tasks = draw(task_sequences())
    cursors = [0] * len(tasks)
    merged: list[Any] = []
    while any(c < len(t) for c, t in zip(cursors, tasks, strict=True)):
        live = [i for i, t in enumerate(tasks) if cursors[i] < len(t)]
        i = draw(st.sampled_from(live))
        merged.append(tasks[i][cursors[i]])
        cursors[i] += 1
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            merged.append(merged[draw(st.integers(min_value=0, max_value=len(merged) - 1))])
    return tasks, merged


def direct_peak(payloads: list[Any]) -> int:
    """Most tasks between their first start and their first outcome, counted independently."""
    running: set[str] = set()
    done: set[str] = set()
    peak = 0
    for p in payloads:
        if p.task_id in done or isinstance(p, ClipTaskQueued):
            continue
        if isinstance(p, ClipTaskStarted) or type(p).__name__ in (
            "ClipTaskRetrying",
            "ClipTaskFellBack",
        ):
            running.add(p.task_id)
            peak = max(peak, len(running))
        else:
            peak = max(peak, len(running | {p.task_id}))
            running.discard(p.task_id)
            done.add(p.task_id)
    return peak


@settings(max_examples=200, deadline=None)
@given(interleavings())
def test_invariants_hold_after_every_event(case: tuple[list[list[Any]], list[Any]]) -> None:
    tasks, merged = case
    events = stamp(merged)
    state = JobClipState(render_job_id=JOB)
    for env in events:
        state = fold_clip(state, env)
        s = clip_stats(state)
        assert s.success_tasks + s.failed_tasks == s.total_tasks
        assert s.failed_tasks >= s.placeholder_tasks
        if any(t.status is not TaskStatus.PENDING for t in state.tasks.values()):
            assert s.peak_parallelism >= 1
    stats = clip_stats(state)
    assert stats.total_tasks == len(tasks)
    durations = sorted(t[-1].duration_ms for t in tasks)
    assert math.isclose(stats.avg_task_duration_ms, sum(durations) / len(durations), abs_tol=1e-3)
    rank = math.ceil(0.95 * len(durations))
    assert stats.p95_task_duration_ms == durations[rank - 1]
    assert stats.peak_parallelism == direct_peak(merged)
    # Folding in one go or event by event gives the same state.
    assert fold_all(events) == state


@settings(max_examples=200, deadline=None)
@given(interleavings(), st.randoms(use_true_random=False))
def test_queued_events_from_their_own_topic_may_arrive_anywhere(
    case: tuple[list[list[Any]], list[Any]], rnd: Any
) -> None:
    """ClipTaskQueued travels on clip.tasks, the outcomes on clip.events: the projector may
    see them in any relative order, and the result must not depend on it."""
    _, merged = case
    events = stamp(merged)
    queued = [e for e in events if isinstance(e.payload, ClipTaskQueued)]
    others = [e for e in events if not isinstance(e.payload, ClipTaskQueued)]
    moved = list(others)
    for env in queued:
        moved.insert(rnd.randint(0, len(moved)), env)
    assert clip_stats(fold_all(moved)) == clip_stats(fold_all(events))
    assert fold_all(moved).tasks == fold_all(events).tasks


def test_clip_state_survives_a_json_round_trip() -> None:
    import json

    from domain.clip_stats import clip_state_from_json, clip_state_to_json

    payloads = (
        task_lifecycle(JOB, "t1", retries=1, fallbacks=((R, L, FailureReason.TIMEOUT),), outcome=L)
        + task_lifecycle(JOB, "t2")[:2]
    )
    state = fold_all(stamp(payloads))
    back = clip_state_from_json(json.loads(json.dumps(clip_state_to_json(state))))
    assert back == state and clip_stats(back) == clip_stats(state)


def test_a_task_whose_first_source_is_local_is_a_success_not_a_fallback() -> None:
    payloads = task_lifecycle(JOB, "t1", outcome=L)  # no remote, no FellBack
    state = fold_all(stamp(payloads))
    assert state.tasks["t1"].status is TaskStatus.SUCCESS
    assert clip_stats(state).success_tasks == 1
