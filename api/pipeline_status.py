"""Whether the readers of the pipeline keep up: the worker group's members and the clip tasks
it has not taken, and whether the projector holds its lock and the events it has not folded.

Asked of Kafka and the database on demand, at most once per CACHE_S, within TIMEOUT_S."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from api.read_models import projected_offsets
from events.consumer_groups import end_offsets, group_view, records_behind, worker_group
from events.topics import EVENT_TOPICS, Topic, physical_name
from projections.projector_lock import lock_key

CACHE_S = 2.0
TIMEOUT_S = 5.0

_cache: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}


def _projector_running(engine: Engine, projector: str) -> bool | None:
    """True/False when the database can tell (PostgreSQL: its advisory lock is held)."""
    if engine.url.get_backend_name() != "postgresql":
        return None
    with engine.connect() as conn:
        held = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :k"
            ),
            {"k": lock_key(projector)},
        ).scalar_one()
    return bool(held)


async def _ask(engine: Engine, bootstrap: str, prefix: str, projector: str) -> dict[str, Any]:
    # One read of the end offsets serves the worker group's lag and the projector's.
    ends = await end_offsets(bootstrap, [physical_name(prefix, t) for t in EVENT_TOPICS])
    tasks = physical_name(prefix, Topic.CLIP_TASKS)
    workers = await group_view(
        bootstrap, worker_group(prefix), {tp: e for tp, e in ends.items() if tp.topic == tasks}
    )
    stored = await run_in_threadpool(projected_offsets, engine, projector)
    running = await run_in_threadpool(_projector_running, engine, projector)
    read = {tp: stored.get((tp.topic, tp.partition), 0) for tp in ends}
    return {
        "worker": {"members": workers.members, "clip_tasks_waiting": workers.lag},
        "projector": {"running": running, "events_waiting": records_behind(ends, read)},
    }


async def pipeline_status(
    engine: Engine, bootstrap: str, prefix: str, projector: str
) -> dict[str, Any]:
    """The worker group's and the projector's state, cached for CACHE_S."""
    key = (bootstrap, prefix, projector)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < CACHE_S:
        return cached[1]
    answer = await asyncio.wait_for(_ask(engine, bootstrap, prefix, projector), TIMEOUT_S)
    _cache[key] = (time.monotonic(), answer)
    return answer
