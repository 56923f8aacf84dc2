"""Every worker follows render.jobs for RenderCancelled, so no worker starts a task of a
cancelled render, whichever partition the task came from; it notes every render that ended
too, so its disk collection (agents/disk_gc.py) knows whose render_tmp folder may go."""

from __future__ import annotations

import time

import structlog

from events.codec import DecodeError, decode
from events.payloads import RenderCancelled, RenderCompleted, RenderFailed
from events.topic_reader import WATCH_WAIT_MS, Since, follow
from events.topics import Topic, physical_name

log = structlog.get_logger("render_worker")
# Cancellations older than this concern renders that are long finished.
LOOKBACK_S = 24 * 3600


class CancellationWatcher:
    """The set of cancelled render jobs, kept current without a consumer group."""

    def __init__(self, bootstrap: str, prefix: str, worker_id: str) -> None:
        self.bootstrap = bootstrap
        self.topic = physical_name(prefix, Topic.RENDER_JOBS)
        self.worker_id = worker_id
        self.cancelled: set[str] = set()
        # Renders with an outcome in the log (completed, failed or cancelled).
        self.ended: set[str] = set()

    def is_cancelled(self, render_job_id: str) -> bool:
        """True once a RenderCancelled for the job has been seen."""
        return render_job_id in self.cancelled

    def handle(self, raw: bytes | None) -> None:
        """Note a cancellation; every other message is someone else's business."""
        try:
            env = decode(raw)
        except DecodeError:
            return
        if isinstance(env.payload, RenderCancelled | RenderCompleted | RenderFailed):
            self.ended.add(env.payload.render_job_id)
        if isinstance(env.payload, RenderCancelled):
            job = env.payload.render_job_id
            if job not in self.cancelled:
                self.cancelled.add(job)
                log.info(
                    "render_worker.render_cancelled",
                    trace_id=env.trace_id,
                    worker=self.worker_id,
                    render_job_id=job,
                )

    async def run(self) -> None:
        """Follow the topic from a day back until cancelled."""
        since = Since(int((time.time() - LOOKBACK_S) * 1000))
        reading = follow(self.bootstrap, [self.topic], start=since, fetch_max_wait_ms=WATCH_WAIT_MS)
        async with reading as reader:
            async for record in reader.records():
                self.handle(record.value)
