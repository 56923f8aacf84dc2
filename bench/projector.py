"""Projector throughput: 200,000 clip-task events from Kafka into SQLite and PostgreSQL.

Run: .venv/bin/python -m bench.projector [--events N]
Prints events/s for each database, the analytics consumer's events/s into the SQLite one
(its one-minute and one-hour windows) and the time of a full replay; last line
`RESULT projector_sqlite_eps=N projector_postgres_eps=N analytics_sqlite_eps=N replay_s=N`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.support import kafka
from engine.edl import Segment, Transition
from events.base import Envelope, make_event
from events.kafka_io import EventProducer, ensure_topics
from events.payloads import ClipTaskQueued, ClipTaskRetrying, ClipTaskStarted, ClipTaskSucceeded
from events.payloads.common import FailureReason, MediaSource, OutputSettings, SourceType
from local_stack.postgres import LocalPostgres
from projections.db import make_engine
from projections.projector import Projector
from projections.replay import replay
from projections.window_consumer import analytics_consumer

TASKS_PER_JOB = 20
EVENTS_PER_TASK = 5  # queued, started, retrying, started again, succeeded
T0 = datetime(2026, 1, 1, tzinfo=UTC)
OUTPUT = OutputSettings(width=1280, height=720, fps=30)


def one_second(index: int, video: str) -> Segment:
    """Segment `index` of a timeline cut every second, showing its video's first second."""
    cut = Transition(type="cut", duration_ms=0)
    return Segment.model_validate(
        {
            "index": index,
            "asset_id": video,
            "media_type": "video",
            "timeline_in_ms": index * 1000,
            "timeline_out_ms": (index + 1) * 1000,
            "render_duration_ms": 1000,
            "source_in_ms": 0,
            "source_out_ms": 1000,
            "transition_in": cut,
            "transition_out": cut,
        }
    )


def task_lifecycle(job: str, task: str, video: str, index: int, duration_ms: int) -> list[Any]:
    """One clip task's payloads in order: queued, started, retrying, started again, succeeded."""
    ids: dict[str, Any] = dict(task_id=task, render_job_id=job, video_id=video, segment_index=index)
    source = MediaSource(asset_id=video, media_type="video", checksum="c", duration_ms=10_000)
    remote = SourceType.REMOTE
    return [
        ClipTaskQueued(
            **ids,
            total_segments=index + 1,
            segment=one_second(index, video),
            source=source,
            output=OUTPUT,
        ),
        ClipTaskStarted(
            **ids, attempt=0, worker_id="w", slot=0, source_type=remote, config_version=0
        ),
        ClipTaskRetrying(
            **ids, attempt=0, source_type=remote, reason=FailureReason.TIMEOUT, backoff_ms=500
        ),
        ClipTaskStarted(
            **ids, attempt=1, worker_id="w", slot=0, source_type=remote, config_version=0
        ),
        ClipTaskSucceeded(
            **ids,
            attempt=1,
            source_type=remote,
            duration_ms=duration_ms,
            clip_path=f"clips/{task}.mp4",
        ),
    ]


def stamp(payloads: list[Any]) -> list[Envelope[Any]]:
    """Wrap payloads in envelopes one millisecond apart, so times follow log order."""
    return [
        make_event(p, trace_id="bench", occurred_at=T0 + timedelta(milliseconds=i))
        for i, p in enumerate(payloads)
    ]


async def produce(bootstrap: str, prefix: str, events: int) -> int:
    """Produce whole jobs of clip-task events until `events` are on the log."""
    jobs = max(1, events // (TASKS_PER_JOB * EVENTS_PER_TASK))
    t0 = time.perf_counter()
    sent = 0
    async with EventProducer(bootstrap, prefix) as producer:
        for j in range(jobs):
            job = f"job-{j}"
            payloads = [
                p
                for t in range(TASKS_PER_JOB)
                for p in task_lifecycle(
                    job, f"{job}-t{t}", video=f"v{t % 7}", index=t, duration_ms=t * 10
                )
            ]
            sent += len(await producer.send_many(stamp(payloads)))
    seconds = time.perf_counter() - t0
    print(f"produced {sent} events in {seconds:.1f} s ({sent / seconds:,.0f} events/s)")
    return sent


async def fold_into(
    bootstrap: str, prefix: str, url: str, label: str, windows: bool = False
) -> float:
    """Run the projector (or, with `windows`, the analytics consumer) from offset 0 to the end
    of the log; return events/s."""
    engine = make_engine(url)
    if windows:
        runner = analytics_consumer(bootstrap=bootstrap, prefix=prefix, engine=engine)
    else:
        runner = Projector(bootstrap=bootstrap, prefix=prefix, engine=engine)
    stats = await runner.run(until_end=True)
    engine.dispose()
    eps = stats.events / stats.seconds
    print(
        f"{label:10s} {stats.events} events in {stats.seconds:6.2f} s = {eps:10,.0f} events/s "
        f"({stats.batches} batches)"
    )
    return eps


async def main(events: int) -> None:
    """Produce, fold into both databases, replay, and print the figures."""
    with kafka() as bootstrap, tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        await ensure_topics(bootstrap, prefix)
        await produce(bootstrap, prefix, events)
        sqlite_url = f"sqlite:///{tmp}/live.db"
        sqlite_eps = await fold_into(bootstrap, prefix, sqlite_url, "sqlite")
        # Beside the read models in the same database, as `beatstitch analytics` runs.
        windows_eps = await fold_into(bootstrap, prefix, sqlite_url, "analytics", windows=True)
        pg = LocalPostgres(durable=True)
        pg.start()
        try:
            pg_eps = await fold_into(bootstrap, prefix, pg.create_database(), "postgres")
        finally:
            pg.stop()
        t0 = time.perf_counter()
        report = await replay(
            bootstrap=bootstrap,
            prefix=prefix,
            into=make_engine(f"sqlite:///{tmp}/replayed.db"),
            live=make_engine(sqlite_url),
        )
        replay_s = time.perf_counter() - t0
        print(
            f"replay     {report.stats.events} events + digests in {replay_s:.2f} s, "
            f"digests equal: {report.equal}"
        )
    print(
        f"RESULT projector_sqlite_eps={sqlite_eps:.0f} projector_postgres_eps={pg_eps:.0f} "
        f"analytics_sqlite_eps={windows_eps:.0f} replay_s={replay_s:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().events))
