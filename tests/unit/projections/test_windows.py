"""The analytics windows' fold (pure): lateness from the log, joins across partitions in any
order, an event written twice counted once, and exact nearest-rank percentiles."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

from events.base import Envelope, make_event
from events.payloads import ClipTaskQueued, ClipTaskStarted
from events.topic_reader import partition_for_key
from events.topics import TOPIC_TABLE
from projections.window_queries import nearest_rank
from projections.windows import Where, WindowState, fold_windows, window_start
from tests.support.clip_events import render_payloads, task_lifecycle
from tests.support.window_events import W0, spread_run

GRACE = timedelta(minutes=10)
PARTITIONS = {spec.topic.value: spec.partitions for spec in TOPIC_TABLE}


def _placed(events: list[Envelope[Any]]) -> list[tuple[Where, Envelope[Any]]]:
    out = []
    for env in events:
        topic = env.payload.topic.value
        out.append(((topic, partition_for_key(env.key.encode(), PARTITIONS[topic])), env))
    return out


def _fold(placed: list[tuple[Where, Envelope[Any]]]) -> tuple[Counter[Any], set[Any]]:
    state = fold_windows(WindowState(), placed, GRACE)
    return +state.counts, set(state.samples)


def _at(payload: Any, seconds: float) -> Envelope[Any]:
    return make_event(payload, trace_id="t", occurred_at=W0 + timedelta(seconds=seconds))


def test_a_late_event_within_the_grace_counts_in_its_window_and_one_past_it_as_too_late() -> None:
    requested = render_payloads("job-l")[0]
    newer = _at(requested.model_copy(update={"render_job_id": "job-n"}), 3600)
    # Keys on the same partition as `newer`: its time is their watermark.
    same = [k for k in (f"job-{i}" for i in range(200)) if _where(k) == _where("job-n")]
    within = _at(requested.model_copy(update={"render_job_id": same[1]}), 3600 - 60 * 9)
    past = _at(requested.model_copy(update={"render_job_id": same[2]}), 3600 - 60 * 12)
    state = fold_windows(WindowState(), _placed([newer, within, past]), GRACE)
    minute = (60, window_start(within.occurred_at, 60))
    assert state.counts[(*minute, "renders_requested", "")] == 1
    old_minute = (60, window_start(past.occurred_at, 60))
    assert state.counts[(*old_minute, "renders_requested", "")] == 0
    assert state.counts[(*old_minute, "too_late", "RenderRequested")] == 1
    # The hour they belong to has not closed yet: both count there.
    hour = (3600, window_start(past.occurred_at, 3600))
    assert state.counts[(*hour, "renders_requested", "")] == 2
    assert state.counts[(*hour, "too_late", "RenderRequested")] == 0


def _where(job: str) -> int:
    return partition_for_key(job.encode(), PARTITIONS["render.jobs"])


def test_the_queue_to_start_wait_is_the_same_whichever_partition_is_read_first() -> None:
    queued, started = task_lifecycle("job-q", "task-q")[:2]
    assert isinstance(queued, ClipTaskQueued) and isinstance(started, ClipTaskStarted)
    events = _placed([_at(queued, 10), _at(started, 12.5)])
    a, b = _fold(events), _fold(events[::-1])
    assert a == b
    waits = [s for s in a[1] if s.metric == "queue_start_ms"]
    assert sorted((s.size, s.value_ms) for s in waits) == [(60, 2500), (3600, 2500)]


def test_an_event_written_twice_counts_once() -> None:
    events = _placed(spread_run(renders=2))
    assert _fold(events) == _fold(events + events[:20])


def test_any_interleaving_of_the_partitions_gives_the_same_windows() -> None:
    placed = _placed(spread_run())
    by_partition: dict[Where, list[Any]] = {}
    for item in placed:
        by_partition.setdefault(item[0], []).append(item)
    expected = _fold(placed)
    rng = random.Random(7)
    for _ in range(5):
        queues = {k: list(v) for k, v in by_partition.items()}
        merged = []
        while queues:
            where = rng.choice(sorted(queues))
            merged.append(queues[where].pop(0))
            if not queues[where]:
                del queues[where]
        assert _fold(merged) == expected


def test_percentiles_are_nearest_rank() -> None:
    values = list(range(1, 21))  # 1..20
    assert (nearest_rank(values, 0.5), nearest_rank(values, 0.95)) == (10, 19)
    assert nearest_rank([7], 0.95) == 7
    assert nearest_rank([], 0.5) is None
