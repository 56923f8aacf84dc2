"""A render's progress as server-sent events: the read model's state, then the log's events.

The projector's offset on the job's partition is read before the job row, so the stream
starts at or before the end of the snapshot: no event is missed, and events the snapshot
already covers (not newer than it) are skipped. Later events go through the same fold as
the projector's (domain.render_job), so the stream and a GET tell one story. The last
event is sent once the projector has folded it, so a GET on the job after the stream ends
shows the same end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiokafka.structs import TopicPartition
from starlette.concurrency import run_in_threadpool

from api.read_models import job_snapshot
from api.read_your_writes import Produced, ProjectionLagging, wait_until_projected
from api.schemas import ProgressEvent
from api.services import Services
from domain.render_job import JobState, fold_job
from events.base import Envelope
from events.codec import DecodeError, decode
from events.topic_reader import follow, key_partition
from events.topics import Topic, physical_name

log = structlog.get_logger(__name__)


def progress_event(job: JobState) -> ProgressEvent:
    """What a person is shown of a job's state: status, progress, a sentence, when."""
    return ProgressEvent(
        status=job.status.value,
        progress=job.progress,
        message=job.message,
        timestamp=job.updated_at or job.created_at,
    )


def next_state(job: JobState, env: Envelope[Any]) -> JobState | None:
    """The job after one of its events, or None when the event says nothing new.

    Events not newer than the state were folded into it already (the snapshot may be read a
    little after the offset it starts from)."""
    stamp = job.updated_at or job.created_at
    if stamp is not None and env.occurred_at <= stamp:
        return None
    after = fold_job(job, env)
    return None if after is job else after


async def job_partition(services: Services, job_id: str) -> TopicPartition:
    """The render.jobs partition that holds a job's events (its key decides, as for producers)."""
    topic = physical_name(services.topic_prefix, Topic.RENDER_JOBS)
    return await key_partition(services.bootstrap, topic, job_id.encode())


async def progress_events(services: Services, job_id: str) -> AsyncIterator[ProgressEvent]:
    """The job's current state, then each later change until it ends."""
    tp = await job_partition(services, job_id)
    snapshot = await run_in_threadpool(
        job_snapshot, services.engine, services.database.projector_name, job_id, tp
    )
    assert snapshot is not None  # the route checked that the job exists
    job, offset = snapshot
    yield progress_event(job)
    if job.status.terminal:
        return
    async with follow(services.bootstrap, [tp], start={tp: offset}) as reader:
        async for record in reader.records():
            if record.key != job_id.encode() or record.value is None:
                continue
            try:
                env = decode(record.value)
            except DecodeError:
                continue  # the projector dead-letters it; a progress stream just skips it
            after = next_state(job, env)
            if after is None:
                continue
            job = after
            if job.status.terminal:
                # A client that GETs the job on the last event must see the same end.
                produced = Produced(env, record.topic, record.partition, record.offset)
                await _until_projected(services, produced)
            yield progress_event(job)
            if job.status.terminal:
                return


async def _until_projected(services: Services, produced: Produced) -> None:
    try:
        await run_in_threadpool(wait_until_projected, services, produced)
    except ProjectionLagging as lagging:
        # The log is the truth: the stream still ends, and says why the job may lag.
        log.warning("api.progress_stream_projection_lagging", error=str(lagging))
