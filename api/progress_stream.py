"""A render's progress as server-sent events: the read model's state, then the log's events.

The projector's offset on the job's partition is read before the job row, so the stream
starts at or before the end of the snapshot: no event is missed, and events the snapshot
already covers (not newer than it) are skipped. The last event is sent once the projector
has folded it, so a GET on the job after the stream ends shows the same end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import structlog
from aiokafka.structs import TopicPartition
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.clock import as_utc
from api.read_models import projected_offset
from api.read_your_writes import Produced, ProjectionLagging, wait_until_projected
from api.schemas import ProgressEvent
from api.services import Services
from events.base import Envelope
from events.codec import DecodeError, decode
from events.topic_reader import follow, key_partition
from events.topics import Topic, physical_name
from projections.models import RenderJob

TERMINAL = frozenset({"complete", "failed", "cancelled"})
log = structlog.get_logger(__name__)


def snapshot_event(job: RenderJob) -> ProgressEvent:
    """The job's state as the read model has it."""
    message = job.error_message if job.status == "failed" else job.progress_message
    return ProgressEvent(
        status=job.status,
        progress=job.progress,
        message=message or job.status,
        timestamp=as_utc(stamp) if (stamp := job.updated_at or job.created_at) else None,
    )


def progress_event(env: Envelope[Any], last_progress: float) -> ProgressEvent | None:
    """A render.jobs event as a progress event; None for events that say nothing new."""
    p = env.payload
    at: datetime = env.occurred_at
    match env.type:
        case "RenderStarted":
            return ProgressEvent(
                status="running",
                progress=last_progress,
                message=f"{p.total_tasks} clip tasks queued",
                timestamp=at,
            )
        case "RenderProgress":
            return ProgressEvent(
                status=p.status, progress=p.progress, message=p.message or p.status, timestamp=at
            )
        case "RenderCompleted":
            return ProgressEvent(
                status="complete", progress=100.0, message="complete", timestamp=at
            )
        case "RenderFailed":
            return ProgressEvent(
                status="failed", progress=last_progress, message=p.error, timestamp=at
            )
        case "RenderCancelled":
            return ProgressEvent(
                status="cancelled", progress=last_progress, message="cancelled", timestamp=at
            )
    return None


async def job_partition(services: Services, job_id: str) -> TopicPartition:
    """The render.jobs partition that holds a job's events (its key decides, as for producers)."""
    topic = physical_name(services.topic_prefix, Topic.RENDER_JOBS)
    return await key_partition(services.bootstrap, topic, job_id.encode())


def _snapshot(services: Services, job_id: str, tp: TopicPartition) -> tuple[RenderJob, int]:
    # The offset first: the projector commits rows and offsets together, so a row read
    # after it is at least as new as the offset.
    offset = projected_offset(
        services.engine, services.database.projector_name, tp.topic, tp.partition
    )
    with Session(services.engine) as session:
        job = session.get(RenderJob, job_id)
        assert job is not None  # the route checked it exists
        session.expunge(job)
    return job, offset


async def progress_events(services: Services, job_id: str) -> AsyncIterator[ProgressEvent]:
    """The job's current state, then each later event until it ends."""
    tp = await job_partition(services, job_id)
    job, offset = await run_in_threadpool(_snapshot, services, job_id, tp)
    first = snapshot_event(job)
    yield first
    if job.status in TERMINAL:
        return
    last = first
    async with follow(services.bootstrap, [tp], start={tp: offset}) as reader:
        async for record in reader.records():
            if record.key != job_id.encode() or record.value is None:
                continue
            try:
                env = decode(record.value)
            except DecodeError:
                continue  # the projector dead-letters it; a progress stream just skips it
            event = progress_event(env, last.progress)
            if event is None or _older(event, last):
                continue
            if event.status in TERMINAL:
                # A client that GETs the job on the last event must see the same end.
                produced = Produced(env, record.topic, record.partition, record.offset)
                await _until_projected(services, produced)
            yield event
            last = event
            if event.status in TERMINAL:
                return


async def _until_projected(services: Services, produced: Produced) -> None:
    try:
        await run_in_threadpool(wait_until_projected, services, produced)
    except ProjectionLagging as lagging:
        # The log is the truth: the stream still ends, and says why the job may lag.
        log.warning("api.progress_stream_projection_lagging", error=str(lagging))


def _older(event: ProgressEvent, last: ProgressEvent) -> bool:
    # Events the snapshot already covered (folded between reading the offset and the row)
    # are not newer than it; the row's updated_at is the time of the last event it folded.
    return (
        event.timestamp is not None
        and last.timestamp is not None
        and as_utc(event.timestamp) <= as_utc(last.timestamp)
    )
