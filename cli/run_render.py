"""Running one render end to end from the command line: Kafka, a worker, the projector, and a
progress bar fed by the render's own events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.render_request import prepare_render
from cli.runtime import CliError
from engine.probe import probe
from engine.render_settings import RenderSettings
from events.base import Envelope, make_event
from events.codec import DecodeError, decode
from events.kafka_io import EventProducer, ensure_topics, partitions_of
from events.settings import KafkaSettings
from events.topics import Topic, physical_name
from projections.db import make_engine
from projections.projector import Projector
from projections.settings import DatabaseSettings

console = Console()


@dataclass(frozen=True)
class RenderOutcome:
    """What the user gets: the MP4, its length and the job's read-model row."""

    render_job_id: str
    output: Path
    duration_ms: int
    clip_stats: dict[str, Any]
    seconds: float


@contextlib.contextmanager
def worker_process(bootstrap: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `beatstitch worker` beside us, its JSON log in a file; stop it afterwards."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    exe = str(Path(sys.executable).parent / "beatstitch")
    env = {**os.environ, "BEATSTITCH_KAFKA_BOOTSTRAP": bootstrap}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([exe, "worker"], env=env, stdout=log, stderr=log)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.asynccontextmanager
async def job_events(bootstrap: str, prefix: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer of render.jobs positioned at its end, before the request is sent."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = await partitions_of(bootstrap, [physical_name(prefix, Topic.RENDER_JOBS)])
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve the lazy seek now, not after the request
        yield consumer
    finally:
        await consumer.stop()


async def follow(
    consumer: AIOKafkaConsumer, job: str, worker: subprocess.Popen[bytes]
) -> Envelope[Any]:
    """Show the job's progress events as a bar until it completes or fails."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("queued", total=100)
        while True:
            if worker.poll() is not None:
                raise CliError("the worker process stopped; see its log in .data/demo/worker.log")
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    try:
                        env = decode(record.value)
                    except DecodeError:
                        continue
                    if env.correlation_id != job:
                        continue
                    if env.type == "RenderProgress":
                        bar.update(
                            task,
                            completed=env.payload.progress,
                            description=env.payload.message or env.payload.status,
                        )
                    elif env.type in ("RenderCompleted", "RenderFailed"):
                        bar.update(
                            task,
                            completed=100 if env.type == "RenderCompleted" else None,
                            description=env.type.removeprefix("Render").lower(),
                        )
                        return env


async def project_job(bootstrap: str, prefix: str, job: str) -> dict[str, Any]:
    """Fold the log into the read models and return the job's clip_stats from its row."""
    db = DatabaseSettings()
    engine = make_engine(db.database_url)
    await Projector(
        bootstrap=bootstrap,
        prefix=prefix,
        engine=engine,
        name=db.projector_name,
        batch_size=db.projector_batch_size,
    ).run(until_end=True)
    from sqlalchemy import select

    from projections.models import RenderJob

    with engine.connect() as conn:
        row = conn.execute(select(RenderJob.metrics).where(RenderJob.id == job)).scalar_one()
    engine.dispose()
    return dict(row["render"]["clip_stats"])


async def render_through_kafka(
    bootstrap: str,
    audio: Path,
    media: list[Path],
    settings: RenderSettings,
    out: Path | None,
    kind: str,
    work: Path,
) -> RenderOutcome:
    """Send a RenderRequested, let a worker render it, follow it, and read the result back."""
    kafka = KafkaSettings()
    prefix = kafka.topic_prefix
    await ensure_topics(bootstrap, prefix)
    job = f"render-{uuid.uuid4().hex[:10]}"
    began = time.monotonic()
    console.print(f"analysing beats of {audio.name} and probing {len(media)} media files…")
    prepared = await asyncio.to_thread(
        prepare_render,
        audio,
        media,
        settings,
        render_job_id=job,
        kind=kind,
        cache_dir=work / "beat-grids",
    )
    console.print(
        f"{prepared.grid.bpm:.1f} BPM, {len(prepared.edl.segments)} segments, "
        f"EDL {prepared.edl.edl_hash[:12]}…; job {job}",
        highlight=False,
    )
    with worker_process(bootstrap, work / "worker.log") as worker:
        async with job_events(bootstrap, prefix) as consumer:
            async with EventProducer(bootstrap, prefix) as producer:
                await producer.send(make_event(prepared.request, trace_id=f"trace-{job}"))
            final = await follow(consumer, job, worker)
    if final.type == "RenderFailed":
        raise CliError(f"the render failed: {final.payload.error}")
    stats = await project_job(bootstrap, prefix, job)
    output = Path(final.payload.output)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(output, out)
        output = out
    return RenderOutcome(
        job, output, probe(output).duration_ms or 0, stats, time.monotonic() - began
    )


def print_outcome(outcome: RenderOutcome) -> None:
    """The clip_stats table and where the MP4 is."""
    table = Table(title=f"clip_stats of {outcome.render_job_id} (from the read model)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in outcome.clip_stats.items():
        table.add_row(key, str(value))
    console.print(table)
    console.print(
        f"[green]wrote {outcome.output}[/green] ({outcome.duration_ms / 1000:.2f} s of "
        f"video) in {outcome.seconds:.1f} s",
        highlight=False,
    )
