"""Audit: one render job's events straight from the log, with their causes and raw form, and
every config version the config topic still holds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from events.base import Envelope
from events.codec import DecodeError, decode
from events.payloads import RenderConfigUpdated
from events.topic_reader import follow
from events.topics import Topic, physical_name
from projections.config_history import ConfigVersion

# Payload fields worth a column in an audit listing, when an event has them.
KEY_FIELDS = (
    "task_id",
    "video_id",
    "segment_index",
    "attempt",
    "worker_id",
    "slot",
    "config_version",
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
# A job's events are held in memory; a producer that is not ours could tag millions of events
# with one job id, so the audit stops with a sentence instead of exhausting the machine.
MAX_JOB_EVENTS = 200_000


class TooManyEvents(RuntimeError):
    """More events name the job than an audit holds."""


@dataclass(frozen=True)
class AuditLine:
    """One event of the job as the log holds it: where, what, why (its cause) and its raw
    form (canonical JSON of the bytes as written, for the history's sha256)."""

    topic: str
    partition: int
    offset: int
    event_id: str
    type: str
    version: int
    occurred_at: datetime
    trace_id: str
    fields: dict[str, Any]
    causation_id: str | None = None
    canonical: str = ""
    envelope: Envelope[Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class JobLog:
    """What the log says about one job, and the config versions its config topic still has."""

    lines: list[AuditLine]
    configs: dict[int, ConfigVersion]
    undecodable: int


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


def canonical_json(raw: bytes) -> str:
    """The event as its producer wrote it, keys sorted and no spaces: equal for equal events
    whatever the producer's layout, and independent of this code's payload versions."""
    return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit_line(
    topic: str, partition: int, offset: int, env: Envelope[Any], raw: bytes
) -> AuditLine:
    """An audit line of one decoded event."""
    return AuditLine(
        topic=topic,
        partition=partition,
        offset=offset,
        event_id=env.event_id,
        type=env.type,
        version=env.version,
        occurred_at=env.occurred_at,
        trace_id=env.trace_id,
        fields=key_fields(env.payload),
        causation_id=env.causation_id,
        canonical=canonical_json(raw),
        envelope=env,
    )


def config_version_of(env: Envelope[Any]) -> ConfigVersion:
    """A RenderConfigUpdated as one entry of the config's history."""
    p: RenderConfigUpdated = env.payload
    return ConfigVersion(
        version=p.version,
        config=p.config.model_dump(mode="json"),
        updated_by=p.updated_by,
        occurred_at=env.occurred_at,
    )


async def read_job(bootstrap: str, prefix: str, render_job_id: str) -> JobLog:
    """Read the job's events and the config topic up to the current end of the log; the
    events in time order, the config versions by number (the later in the log wins)."""
    lines: list[AuditLine] = []
    configs: dict[int, ConfigVersion] = {}
    undecodable = 0
    config_topic = physical_name(prefix, Topic.RENDER_CONFIG)
    # Every partition is read: a producer with another partitioner may have put a job's
    # events anywhere, and an audit must not miss them.
    names = [physical_name(prefix, t) for t in _AUDITED] + [config_topic]
    async with follow(bootstrap, names, until_end=True) as reader:
        async for r in reader.records(max_records=5000, timeout_ms=500):
            try:
                env = decode(r.value)
            except DecodeError:
                undecodable += 1
                continue
            if r.topic == config_topic:
                if isinstance(env.payload, RenderConfigUpdated):
                    configs[env.payload.version] = config_version_of(env)
                continue
            if env.correlation_id != render_job_id:
                continue
            if len(lines) >= MAX_JOB_EVENTS:
                raise TooManyEvents(
                    f"more than {MAX_JOB_EVENTS} events name render job {render_job_id!r}; "
                    "an audit holds at most that many"
                )
            lines.append(audit_line(r.topic, r.partition, r.offset, env, r.value or b""))
    lines.sort(key=lambda ln: (ln.occurred_at, ln.topic, ln.partition, ln.offset))
    return JobLog(lines, configs, undecodable)


async def audit(bootstrap: str, prefix: str, render_job_id: str) -> tuple[list[AuditLine], int]:
    """The job's events in time order and the number of undecodable messages met on the way."""
    found = await read_job(bootstrap, prefix, render_job_id)
    return found.lines, found.undecodable
