"""Audit: one render job's events straight from the log, in order, with their key fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from events.codec import DecodeError, decode
from events.topic_reader import follow
from events.topics import Topic, physical_name

# Payload fields worth a column in an audit listing, when an event has them.
KEY_FIELDS = (
    "task_id",
    "video_id",
    "segment_index",
    "attempt",
    "source_type",
    "from_source",
    "to_source",
    "reason",
    "status",
    "progress",
    "kind",
    "edl_hash",
    "total_tasks",
    "duration_ms",
    "output",
    "error",
)
_AUDITED = (Topic.RENDER_JOBS, Topic.CLIP_TASKS, Topic.CLIP_EVENTS)


@dataclass(frozen=True)
class AuditLine:
    """One event of the job as the log holds it."""

    topic: str
    partition: int
    offset: int
    event_id: str
    type: str
    version: int
    occurred_at: datetime
    trace_id: str
    fields: dict[str, Any]


def key_fields(payload: Any) -> dict[str, Any]:
    """Pick the audit-worthy fields of a payload, enums as their values."""
    out = {}
    for name in KEY_FIELDS:
        value = getattr(payload, name, None)
        if value is None or value == "":
            continue
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        out[name] = getattr(value, "value", value)
    return out


async def audit(bootstrap: str, prefix: str, render_job_id: str) -> tuple[list[AuditLine], int]:
    """Read the job's events up to the current end of the log; return them in time order and
    the number of undecodable messages met on the way."""
    lines: list[AuditLine] = []
    undecodable = 0
    # Every partition is read: a producer with another partitioner may have put a job's
    # events anywhere, and an audit must not miss them.
    names = [physical_name(prefix, t) for t in _AUDITED]
    async with follow(bootstrap, names, until_end=True) as reader:
        async for r in reader.records(max_records=5000, timeout_ms=500):
            try:
                env = decode(r.value)
            except DecodeError:
                undecodable += 1
                continue
            if env.correlation_id == render_job_id:
                lines.append(
                    AuditLine(
                        topic=r.topic,
                        partition=r.partition,
                        offset=r.offset,
                        event_id=env.event_id,
                        type=env.type,
                        version=env.version,
                        occurred_at=env.occurred_at,
                        trace_id=env.trace_id,
                        fields=key_fields(env.payload),
                    )
                )
    lines.sort(key=lambda ln: (ln.occurred_at, ln.topic, ln.partition, ln.offset))
    return lines, undecodable
