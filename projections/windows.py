"""Tumbling analytics windows by event time, folded from the log (pure).

A window is keyed by its size (60 s or 3600 s) and its start (event time floored to the size,
UTC). Counters and raw samples land in the window of the event's own `occurred_at`; the
percentiles are computed from the raw samples when read (nearest rank, exact), so nothing is
approximated and a replay stores the same rows.

Lateness is decided from the log alone: each partition's watermark is the newest
`occurred_at` among the records before this one on that partition. An event whose window
ended more than `grace` before its partition's watermark is too late for that window size: it
changes none of that window's figures and is counted under `too_late` (by event type) in the
window it belongs to instead. Which events are late is therefore the same on every replay.

Joins that cross partitions (a task's queue time on clip.tasks, its start on clip.events) are
made by whichever event comes second, with the values both carry, so the result does not
depend on how the partitions interleave; the sample belongs to the start event and follows its
lateness.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from events.base import Envelope
from events.payloads import (
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderCancelled,
    RenderCompleted,
    RenderConfigUpdated,
    RenderFailed,
    RenderRequested,
)
from events.topics import Topic

# The window sizes, in seconds, and their names in the API.
SIZES = (60, 3600)
SIZE_NAMES = {"1m": 60, "1h": 3600}
# The topics the windows are folded from.
WINDOW_TOPICS = (Topic.RENDER_JOBS, Topic.CLIP_TASKS, Topic.CLIP_EVENTS, Topic.RENDER_CONFIG)
# A clip task that ended without any clip has this source type in the figures.
NO_CLIP = "none"
UNKNOWN_WORKER = "unknown"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Where = tuple[str, int]
CountKey = tuple[int, datetime, str, str]  # size, window start, metric, dimension


def window_start(at: datetime, size: int) -> datetime:
    """The start of the tumbling window of `size` seconds that holds `at`."""
    seconds = int((at - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=seconds - seconds % size)


def too_late(at: datetime, size: int, watermark: datetime | None, grace: timedelta) -> bool:
    """True when the window of `at` ended more than `grace` before the watermark."""
    if watermark is None:
        return False
    return window_start(at, size) + timedelta(seconds=size) + grace < watermark


@dataclass(frozen=True, slots=True)
class Sample:
    """One raw value of a window: a render's wall time, a clip task's duration or a task's
    wait from queued to started, with the dimensions it is broken down by."""

    size: int
    window_start: datetime
    metric: str
    event_id: str
    value_ms: int
    source_type: str | None = None
    worker_id: str | None = None


@dataclass(frozen=True, slots=True)
class TaskJoin:
    """What the windows remember of a clip task to join its events across partitions."""

    task_id: str
    queued_at: datetime | None = None
    started_at: datetime | None = None
    started_event_id: str | None = None
    # The window sizes for which the first start was too late (its sample is left out).
    start_late: tuple[int, ...] = ()
    worker_id: str | None = None
    waited: bool = False  # the queued→started sample has been taken


@dataclass
class WindowState:
    """What a batch needs and changes: event ids already counted among the batch's, the
    watermarks, the jobs' request times, the tasks' joins; and the batch's additions."""

    seen: set[str] = field(default_factory=set)
    watermarks: dict[Where, datetime] = field(default_factory=dict)
    requested: dict[str, datetime] = field(default_factory=dict)
    tasks: dict[str, TaskJoin] = field(default_factory=dict)
    counts: Counter[CountKey] = field(default_factory=Counter)
    samples: list[Sample] = field(default_factory=list)
    new_seen: list[str] = field(default_factory=list)
    changed_tasks: set[str] = field(default_factory=set)
    new_requests: set[str] = field(default_factory=set)
    changed_watermarks: set[Where] = field(default_factory=set)


def _ms(later: datetime, earlier: datetime) -> int:
    return round((later - earlier).total_seconds() * 1000)


class _Fold:
    """Folds one event; `on_time` holds the sizes whose window still takes it."""

    def __init__(self, state: WindowState, env: Envelope[Any], on_time: tuple[int, ...]) -> None:
        self.state, self.env, self.on_time = state, env, on_time

    def count(self, metric: str, dimension: str = "") -> None:
        for size in self.on_time:
            start = window_start(self.env.occurred_at, size)
            self.state.counts[(size, start, metric, dimension)] += 1

    def sample(self, metric: str, value_ms: int, **dims: str | None) -> None:
        for size in self.on_time:
            start = window_start(self.env.occurred_at, size)
            self.state.samples.append(
                Sample(size, start, metric, self.env.event_id, value_ms, **dims)
            )

    def task(self, task_id: str) -> TaskJoin:
        return self.state.tasks.get(task_id) or TaskJoin(task_id=task_id)

    def put(self, task: TaskJoin) -> None:
        self.state.tasks[task.task_id] = task
        self.state.changed_tasks.add(task.task_id)


def _waited(state: WindowState, task: TaskJoin) -> TaskJoin:
    """Take the queued→started sample once both times are known (in the start's window)."""
    if task.waited or task.queued_at is None or task.started_at is None:
        return task
    assert task.started_event_id is not None
    for size in SIZES:
        if size in task.start_late:
            continue
        state.samples.append(
            Sample(
                size,
                window_start(task.started_at, size),
                "queue_start_ms",
                task.started_event_id,
                _ms(task.started_at, task.queued_at),
            )
        )
    return replace(task, waited=True)


def _fold_one(f: _Fold) -> None:
    p, at = f.env.payload, f.env.occurred_at
    if isinstance(p, RenderRequested):
        f.count("renders_requested")
        if p.render_job_id not in f.state.requested:
            f.state.requested[p.render_job_id] = at
            f.state.new_requests.add(p.render_job_id)
    elif isinstance(p, RenderCompleted):
        f.count("renders_completed")
        requested = f.state.requested.get(p.render_job_id)
        if requested is not None:
            f.sample("render_wall_ms", _ms(at, requested))
    elif isinstance(p, RenderFailed):
        f.count("renders_failed")
    elif isinstance(p, RenderCancelled):
        f.count("renders_cancelled")
    elif isinstance(p, ClipTaskQueued):
        f.count("clip_tasks_queued")
        task = f.task(p.task_id)
        if task.queued_at is None:
            f.put(_waited(f.state, replace(task, queued_at=at)))
    elif isinstance(p, ClipTaskStarted):
        task = replace(f.task(p.task_id), worker_id=p.worker_id)
        if task.started_at is None:
            late = tuple(s for s in SIZES if s not in f.on_time)
            task = replace(task, started_at=at, started_event_id=f.env.event_id, start_late=late)
        f.put(_waited(f.state, task))
    elif isinstance(p, ClipTaskSucceeded | ClipTaskFailed):
        source = p.source_type.value if isinstance(p, ClipTaskSucceeded) else NO_CLIP
        named = p.worker_id if isinstance(p, ClipTaskSucceeded) else None
        worker = named or f.task(p.task_id).worker_id or UNKNOWN_WORKER
        f.count("clip_outcomes", source)
        f.sample("clip_duration_ms", p.duration_ms, source_type=source, worker_id=worker)
    elif isinstance(p, ClipTaskFellBack):
        f.count("fallbacks", p.reason.value)


def fold_windows(
    state: WindowState, events: Sequence[tuple[Where, Envelope[Any]]], grace: timedelta
) -> WindowState:
    """Fold events (log order per partition, each with its topic and partition) into state."""
    for where, env in events:
        watermark = state.watermarks.get(where)
        if watermark is None or env.occurred_at > watermark:
            state.watermarks[where] = env.occurred_at
            state.changed_watermarks.add(where)
        if env.event_id in state.seen:
            continue  # the same event written twice counts once
        state.seen.add(env.event_id)
        state.new_seen.append(env.event_id)
        if isinstance(env.payload, RenderConfigUpdated):
            # The history of versions, not a window figure: never late, so the version in
            # force is known for every window.
            on_time: tuple[int, ...] = SIZES
            _Fold(state, env, on_time).count("config_updates", str(env.payload.version))
            continue
        on_time = tuple(s for s in SIZES if not too_late(env.occurred_at, s, watermark, grace))
        fold = _Fold(state, env, on_time)
        for size in SIZES:
            if size not in on_time:
                state.counts[(size, window_start(env.occurred_at, size), "too_late", env.type)] += 1
        _fold_one(fold)
    return state
