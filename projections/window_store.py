"""Loading what a batch of events needs for the analytics windows and writing back what it
changed, inside the caller's transaction (with the consumer's offsets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from events.base import Envelope
from events.payloads import (
    ClipTaskFailed,
    ClipTaskQueued,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderCompleted,
    RenderRequested,
)
from projections.models import table_of
from projections.window_models import (
    WindowCount,
    WindowRequest,
    WindowSample,
    WindowSeenEvent,
    WindowTask,
    WindowWatermark,
)
from projections.windows import TaskJoin, Where, WindowState

_CHUNK = 500
_TASK_EVENTS = (ClipTaskQueued, ClipTaskStarted, ClipTaskSucceeded, ClipTaskFailed)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _chunks(keys: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(keys)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _task_from_row(row: Any) -> TaskJoin:
    late = tuple(int(s) for s in row.start_late.split(",") if s)
    return TaskJoin(
        task_id=row.task_id,
        queued_at=_utc(row.queued_at),
        started_at=_utc(row.started_at),
        started_event_id=row.started_event_id,
        start_late=late,
        worker_id=row.worker_id,
        waited=bool(row.waited),
    )


def _task_row(task: TaskJoin) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "queued_at": task.queued_at,
        "started_at": task.started_at,
        "started_event_id": task.started_event_id,
        "start_late": ",".join(str(s) for s in task.start_late),
        "worker_id": task.worker_id,
        "waited": task.waited,
    }


def load_windows(conn: Connection, events: Sequence[tuple[Where, Envelope[Any]]]) -> WindowState:
    """Load the state a batch's fold reads: seen ids, watermarks, request times and tasks."""
    state = WindowState()
    ids = {env.event_id for _, env in events}
    jobs = {
        env.payload.render_job_id
        for _, env in events
        if isinstance(env.payload, RenderRequested | RenderCompleted)
    }
    task_ids = {env.payload.task_id for _, env in events if isinstance(env.payload, _TASK_EVENTS)}
    seen, requests, tasks = (
        table_of(WindowSeenEvent),
        table_of(WindowRequest),
        table_of(WindowTask),
    )
    for chunk in _chunks(ids):
        state.seen.update(conn.scalars(select(seen.c.event_id).where(seen.c.event_id.in_(chunk))))
    for row in conn.execute(select(table_of(WindowWatermark))):
        state.watermarks[(row.topic, row.partition)] = _utc(row.event_time)  # type: ignore[assignment]
    for chunk in _chunks(jobs):
        stmt = select(requests).where(requests.c.render_job_id.in_(chunk))
        for row in conn.execute(stmt):
            state.requested[row.render_job_id] = _utc(row.requested_at)  # type: ignore[assignment]
    for chunk in _chunks(task_ids):
        for row in conn.execute(select(tasks).where(tasks.c.task_id.in_(chunk))):
            state.tasks[row.task_id] = _task_from_row(row)
    return state


def _save_counts(conn: Connection, state: WindowState) -> None:
    table = table_of(WindowCount)
    keys = {k for k, n in state.counts.items() if n}
    starts = {k[1] for k in keys}
    existing: dict[tuple[Any, ...], int] = {}
    for chunk in _chunks(starts):
        for row in conn.execute(select(table).where(table.c.window_start.in_(chunk))):
            key = (row.size_s, _utc(row.window_start), row.metric, row.dimension)
            existing[key] = row._mapping["count"]
    new, old = [], []
    for size, start, metric, dimension in sorted(keys):
        key = (size, start, metric, dimension)
        values = {"size_s": size, "window_start": start, "metric": metric, "dimension": dimension}
        if key in existing:
            old.append({**values, "count": existing[key] + state.counts[key]})
        else:
            new.append({**values, "count": state.counts[key]})
    if new:
        conn.execute(insert(table), new)
    if old:
        stmt = (
            update(table)
            .where(
                table.c.size_s == bindparam("b_size"),
                table.c.window_start == bindparam("b_start"),
                table.c.metric == bindparam("b_metric"),
                table.c.dimension == bindparam("b_dimension"),
            )
            .values(count=bindparam("count"))
        )
        conn.execute(
            stmt,
            [
                {
                    "b_size": r["size_s"],
                    "b_start": r["window_start"],
                    "b_metric": r["metric"],
                    "b_dimension": r["dimension"],
                    "count": r["count"],
                }
                for r in old
            ],
        )


def save_windows(conn: Connection, before: set[str], state: WindowState) -> None:
    """Write what the fold added or changed; `before` holds the task ids that had rows."""
    if state.new_seen:
        conn.execute(insert(table_of(WindowSeenEvent)), [{"event_id": e} for e in state.new_seen])
    if state.samples:
        conn.execute(
            insert(table_of(WindowSample)),
            [
                {
                    "size_s": s.size,
                    "window_start": s.window_start,
                    "metric": s.metric,
                    "event_id": s.event_id,
                    "value_ms": s.value_ms,
                    "source_type": s.source_type,
                    "worker_id": s.worker_id,
                }
                for s in state.samples
            ],
        )
    _save_counts(conn, state)
    if state.new_requests:
        conn.execute(
            insert(table_of(WindowRequest)),
            [{"render_job_id": j, "requested_at": state.requested[j]} for j in state.new_requests],
        )
    _save_tasks(conn, before, state)
    _save_watermarks(conn, state)


def _save_tasks(conn: Connection, before: set[str], state: WindowState) -> None:
    table = table_of(WindowTask)
    rows = [_task_row(state.tasks[t]) for t in sorted(state.changed_tasks)]
    new = [r for r in rows if r["task_id"] not in before]
    old = [{**r, "b_task_id": r["task_id"]} for r in rows if r["task_id"] in before]
    if new:
        conn.execute(insert(table), new)
    if old:
        conn.execute(update(table).where(table.c.task_id == bindparam("b_task_id")), old)


def _save_watermarks(conn: Connection, state: WindowState) -> None:
    table = table_of(WindowWatermark)
    rows = conn.execute(select(table.c.topic, table.c.partition))
    stored = {(r.topic, r.partition) for r in rows}
    for topic, partition in sorted(state.changed_watermarks):
        at = state.watermarks[(topic, partition)]
        if (topic, partition) in stored:
            conn.execute(
                update(table)
                .where(table.c.topic == topic, table.c.partition == partition)
                .values(event_time=at)
            )
        else:
            conn.execute(insert(table).values(topic=topic, partition=partition, event_time=at))
