"""Every worker follows render.jobs for RenderCancelled, so no worker starts a task of a
cancelled render, whichever partition the task came from."""

from __future__ import annotations

import time

import structlog
from aiokafka import AIOKafkaConsumer

from events.codec import DecodeError, decode
from events.kafka_io import partitions_of
from events.payloads import RenderCancelled
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

    def is_cancelled(self, render_job_id: str) -> bool:
        """True once a RenderCancelled for the job has been seen."""
        return render_job_id in self.cancelled

    def handle(self, raw: bytes | None) -> None:
        """Note a cancellation; every other message is someone else's business."""
        try:
            env = decode(raw)
        except DecodeError:
            return
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
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await consumer.start()
        try:
            tps = await partitions_of(self.bootstrap, [self.topic])
            consumer.assign(tps)
            since_ms = int((time.time() - LOOKBACK_S) * 1000)
            starts = await consumer.offsets_for_times({tp: since_ms for tp in tps})
            for tp in tps:
                found = starts.get(tp)
                if found is None:
                    await consumer.seek_to_end(tp)
                else:
                    consumer.seek(tp, found.offset)
            while True:
                data = await consumer.getmany(*tps, timeout_ms=200)
                for records in data.values():
                    for record in records:
                        self.handle(record.value)
        finally:
            await consumer.stop()
