"""A render's progress as server-sent events: the read model's state, then the log's events.

The projector's offset on the job's partition is read before the job row, so the stream
starts at or before the end of the snapshot: no event is missed, and events the snapshot
already covers (not newer than it) are skipped. Later events come from the process's one
tail of render.jobs (api.job_tail) and go through the same fold as the projector's
(domain.render_job), so the stream and a GET tell one story. The last event is sent once
the projector has folded it, so a GET on the job after the stream ends shows the same end.

Every event's id is an offset on the job's partition: the last record the state it shows
accounts for (the snapshot's is the projector's offset minus one). A client that reconnects
with Last-Event-ID gets only what comes after it: the records up to it are folded without
being sent, and a snapshot is sent only when it is newer than what the client saw. A stream
ends after a maximum lifetime (or when it falls too far behind) with a `reconnect` event
that names the id to resume from.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import structlog
from sse_starlette import ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.job_tail import QUEUE_RECORDS, Subscription
from api.read_models import job_snapshot
from api.read_your_writes import Produced, ProjectionLagging, wait_until_projected
from api.schemas import ProgressEvent
from api.services import Services
from domain.render_job import JobState, fold_job
from events.base import Envelope
from events.codec import DecodeError, decode

log = structlog.get_logger(__name__)

# How long an EventSource waits before it reconnects after a `reconnect` event.
RECONNECT_RETRY_MS = 1000


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


def reconnect_event(reason: str, last_id: int, lifetime_s: float) -> ServerSentEvent:
    """The last event of a stream that ends before its render: why, and how to resume."""
    why = {
        "max_lifetime": f"A progress stream lasts at most {lifetime_s:g} s.",
        "too_slow": f"This stream fell more than {QUEUE_RECORDS} events behind.",
    }.get(reason, "The API's reader of the render log restarted.")
    message = (
        f"{why} Reconnect with the header `Last-Event-ID: {last_id}` (an EventSource does it "
        "by itself) to go on after the last event you got, without repeats."
    )
    data = {"reason": reason, "message": message, "last_event_id": str(last_id)}
    return ServerSentEvent(
        data=json.dumps(data), event="reconnect", id=str(last_id), retry=RECONNECT_RETRY_MS
    )


def _progress(job: JobState, offset: int) -> ServerSentEvent:
    return ServerSentEvent(
        data=progress_event(job).model_dump_json(), event="progress", id=str(offset)
    )


class ProgressStream:
    """One client's stream of one job: opened (snapshot and subscription) before answering."""

    def __init__(
        self,
        services: Services,
        job: JobState,
        covered: int,
        seen: int | None,
        sub: Subscription | None,
    ) -> None:
        self._services = services
        self._job = job
        self._covered = covered
        self._seen = seen
        self._sub = sub

    @classmethod
    async def open(cls, services: Services, job_id: str, seen: int | None) -> ProgressStream | None:
        """The stream of a job, resuming after the event id `seen` if given; None when the
        client has already seen the job end (nothing is left to send)."""
        tp = services.tail.partition_of(job_id)
        snapshot = await run_in_threadpool(
            job_snapshot, services.engine, services.database.projector_name, job_id, tp
        )
        if snapshot is None:
            raise LookupError(f"render job {job_id} is not in the read model")
        job, offset = snapshot
        covered = offset - 1
        if job.status.terminal:
            return (
                None
                if seen is not None and seen >= covered
                else cls(services, job, covered, seen, None)
            )
        sub = await services.tail.subscribe(job_id, covered + 1)
        return cls(services, job, covered, seen, sub)

    def close(self) -> None:
        """Leave the tail's fan-out (the response ended, however it ended)."""
        if self._sub is not None:
            self._services.tail.unsubscribe(self._sub)

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        """The job's state (unless the client has it), then each later change until it ends,
        the lifetime passes or the stream falls behind."""
        job, seen = self._job, self._seen
        if seen is None or seen < self._covered:
            yield _progress(job, self._covered)
            last_id = self._covered
        else:
            last_id = seen
        if job.status.terminal or self._sub is None:
            return
        lifetime = self._services.settings.sse_max_lifetime_s
        deadline = asyncio.get_running_loop().time() + lifetime
        async for record in self._services.tail.records(self._sub, deadline):
            if record.value is None:
                continue
            try:
                env = decode(record.value)
            except DecodeError:
                continue  # the projector dead-letters it; a progress stream just skips it
            after = next_state(job, env)
            if after is None:
                continue
            job = after
            if seen is not None and record.offset <= seen:
                # The client had this state before it reconnected.
                if job.status.terminal:
                    return
                continue
            if job.status.terminal:
                # A client that GETs the job on the last event must see the same end.
                produced = Produced(env, record.topic, record.partition, record.offset)
                await _until_projected(self._services, produced)
            yield _progress(job, record.offset)
            last_id = record.offset
            if job.status.terminal:
                return
        yield reconnect_event(self._sub.ended or "max_lifetime", last_id, lifetime)


async def _until_projected(services: Services, produced: Produced) -> None:
    try:
        await wait_until_projected(services, produced)
    except ProjectionLagging as lagging:
        # The log is the truth: the stream still ends, and says why the job may lag.
        log.warning("api.progress_stream_projection_lagging", error=str(lagging))
