"""The event pipeline's cost: trivial clip tasks through two workers, and a real render
through Kafka (on a fresh worker, then again on the same worker) beside the same render by
the engine alone, with the CPU each part of the system used meanwhile.

Run: .venv/bin/python -m bench.pipeline [--tasks 2000] [--max-parallelism N]
Last line: `RESULT tasks_per_s=N latency_p95_ms=N pipeline_overhead_ratio=N
pipeline_overhead_ratio_warm=N event_cpu_share_warm=N` (the first ratio is the fresh
worker's; the share is the broker's and the worker event loop's part of the render's CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.process_cpu import ProcessCpu, cpu_by_role, snapshot
from bench.support import kafka, read_until
from domain.request_from_files import prepare_render
from engine.media import MediaAsset
from engine.render import render_edl
from engine.render_settings import RenderSettings
from engine.sample_media import write_sample_media, write_song, write_still
from events.base import make_event
from events.kafka_io import EventProducer, ensure_topics
from events.payloads import ClipTaskQueued, RenderConfigUpdated, RenderRequested
from events.payloads.common import MediaSource, OutputSettings
from events.payloads.config import RenderClipConfig
from events.topics import Topic
from local_stack.services import BEATSTITCH


@contextlib.contextmanager
def workers(
    count: int, bootstrap: str, prefix: str, work: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Run `count` worker processes in one consumer group."""
    env = {
        **os.environ,
        "BEATSTITCH_KAFKA_BOOTSTRAP": bootstrap,
        "BEATSTITCH_TOPIC_PREFIX": prefix,
        "BEATSTITCH_ARTIFACTS_DIR": str(work / "artifacts"),
        # Workers read only files under their media and artifacts folders: the bench's media,
        # song and warm-up still are all under `work`.
        "BEATSTITCH_MEDIA_DIR": str(work),
    }
    procs = [
        subprocess.Popen(
            [BEATSTITCH, "worker"],
            env=env,
            cwd=work,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(work / f"worker{i}.log").open("wb"),
        )
        for i in range(count)
    ]
    try:
        yield procs
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


async def warm_up(bootstrap: str, prefix: str, task: ClipTaskQueued) -> None:
    """Send one task and wait for its outcome: the workers have joined and their pools run."""
    async with EventProducer(bootstrap, prefix) as producer:
        await producer.send(make_event(task, trace_id="bench-warm-up"))
    await read_until(
        bootstrap,
        prefix,
        Topic.CLIP_EVENTS,
        lambda seen: any(
            e.type == "ClipTaskSucceeded" and e.payload.task_id == task.task_id for e in seen
        ),
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


async def trivial_tasks(bootstrap: str, work: Path, count: int) -> tuple[float, float, float]:
    """Tasks/s and queue→start latency p50/p95 (ms) for tiny still clips through 2 workers."""
    prefix = f"bp{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, prefix)
    still = write_still(work / "tiny.png", 160, 120, 0)
    output = OutputSettings(width=160, height=120, fps=12)
    segment = {
        "index": 0,
        "asset_id": "tiny",
        "media_type": "image",
        "timeline_in_ms": 0,
        "timeline_out_ms": 100,
        "render_duration_ms": 100,
        "source_in_ms": 0,
        "source_out_ms": 100,
        "transition_in": {"type": "cut", "duration_ms": 0},
        "transition_out": {"type": "cut", "duration_ms": 0},
        "effects": {},
    }
    job = "bench-trivial"

    def tiny(i: int, job: str = job) -> ClipTaskQueued:
        return ClipTaskQueued(
            task_id=f"{job}-{i}",
            render_job_id=job,
            video_id=f"video-{i % 100}",
            segment_index=i,
            total_segments=count,
            segment={**segment, "index": i},
            source=MediaSource(
                asset_id="tiny",
                media_type="image",
                checksum="tiny",
                local_path=str(still),
                width=160,
                height=120,
            ),
            output=output,
        )

    tasks = [tiny(i) for i in range(count)]
    with workers(2, bootstrap, prefix, work):
        await warm_up(bootstrap, prefix, tiny(0, job="bench-warm-up"))
        async with EventProducer(bootstrap, prefix) as producer:
            await asyncio.gather(
                *(producer.send_many([make_event(t, trace_id="bench")]) for t in tasks)
            )

        def all_done(seen: list[Any]) -> bool:
            return (
                sum(e.type == "ClipTaskSucceeded" and e.correlation_id == job for e in seen)
                >= count
            )

        events = await read_until(bootstrap, prefix, Topic.CLIP_EVENTS, all_done)
    task_events = await read_until(
        bootstrap, prefix, Topic.CLIP_TASKS, lambda seen: len(seen) >= count + 1
    )
    queued_at = {e.payload.task_id: e.occurred_at for e in task_events if e.correlation_id == job}
    started: dict[str, datetime] = {}
    for e in events:
        if e.type == "ClipTaskStarted" and e.correlation_id == job:
            started.setdefault(e.payload.task_id, e.occurred_at)
    latencies = [(started[t] - q).total_seconds() * 1000 for t, q in queued_at.items()]
    first = min(queued_at.values())
    last = max(
        e.occurred_at for e in events if e.type == "ClipTaskSucceeded" and e.correlation_id == job
    )
    rate = count / (last - first).total_seconds()
    return rate, percentile(latencies, 0.5), percentile(latencies, 0.95)


async def set_max_parallelism(bootstrap: str, prefix: str, value: int) -> None:
    """Publish a config version with another max_parallelism (per_video_limit kept at 2)."""
    update = RenderConfigUpdated(
        version=1, config=RenderClipConfig(max_parallelism=value), updated_by="bench"
    )
    async with EventProducer(bootstrap, prefix) as producer:
        await producer.send(make_event(update, trace_id="bench-config"))


def _role(worker_pids: set[int]) -> Callable[[ProcessCpu], str]:
    def role(p: ProcessCpu) -> str:
        if p.pid in worker_pids:
            return "worker event loop"
        if p.ppid in worker_pids:
            return "worker pool"
        return "broker" if "java" in p.command and "kafka" in p.command.lower() else "other"

    return role


async def render_through_kafka(
    bootstrap: str, prefix: str, request: RenderRequested, role: Callable[[ProcessCpu], str]
) -> tuple[float, dict[str, float]]:
    """Wall seconds from producing the request to RenderCompleted, and the CPU by role."""
    job = request.render_job_id
    before = snapshot()
    t0 = time.perf_counter()
    async with EventProducer(bootstrap, prefix) as producer:
        await producer.send(make_event(request, trace_id=job))
    lifecycle = await read_until(
        bootstrap,
        prefix,
        Topic.RENDER_JOBS,
        lambda seen: any(
            e.type in ("RenderCompleted", "RenderFailed") and e.correlation_id == job for e in seen
        ),
    )
    wall = time.perf_counter() - t0
    failed = [e for e in lifecycle if e.type == "RenderFailed" and e.correlation_id == job]
    if failed:
        raise SystemExit(f"{job} failed through Kafka: {failed[0].payload.error}")
    cpu = cpu_by_role(before, snapshot(), role)
    ours = [e for e in lifecycle if e.correlation_id == job]
    clip_events = await read_until(
        bootstrap,
        prefix,
        Topic.CLIP_EVENTS,
        lambda seen: (
            sum(e.type == "ClipTaskSucceeded" and e.correlation_id == job for e in seen)
            >= len(request.edl.segments)
        ),
    )
    clips = [e for e in clip_events if e.correlation_id == job]
    requested = next(e for e in ours if e.type == "RenderRequested").occurred_at
    first_start = min(e.occurred_at for e in clips if e.type == "ClipTaskStarted")
    last_clip = max(e.occurred_at for e in clips if e.type == "ClipTaskSucceeded")
    completed = next(e for e in ours if e.type == "RenderCompleted").occurred_at
    print(
        f"  {job}: request → first clip start {(first_start - requested).total_seconds():.2f} s, "
        f"clips {(last_clip - first_start).total_seconds():.2f} s, "
        f"last clip → completed {(completed - last_clip).total_seconds():.2f} s; " + cpu_text(cpu)
    )
    machinery, share = event_cpu(cpu)
    print(
        f"  event machinery (broker + worker event loop): {machinery:.2f} CPU s, "
        f"{1000 * machinery / len(request.edl.segments):.0f} CPU ms per clip task, "
        f"{share:.1%} of the render's CPU"
    )
    return wall, cpu


EVENT_ROLES = ("broker", "worker event loop")
IDLE_S = 10.0


async def idle_event_cpu(role: Callable[[ProcessCpu], str]) -> float:
    """CPU seconds per second the broker and the worker's event loop spend with nothing to
    do (heartbeats, long polls, commits, table upkeep): the fixed cost of a running stack."""
    before = snapshot()
    await asyncio.sleep(IDLE_S)
    spent = cpu_by_role(before, snapshot(), role)
    print(
        f"  idle for {IDLE_S:.0f} s: "
        + ", ".join(f"{r} {spent.get(r, 0.0) / IDLE_S:.3f} CPU s/s" for r in EVENT_ROLES)
    )
    return event_cpu(spent)[0] / IDLE_S


def event_cpu(cpu: dict[str, float]) -> tuple[float, float]:
    """CPU seconds the broker and the worker's event loop (Faust, aiokafka, our handlers) spent,
    and their share of the render's CPU (those two and the pool; the bench's own reads and
    unrelated processes left out)."""
    machinery = sum(cpu.get(r, 0.0) for r in EVENT_ROLES)
    render = machinery + cpu.get("worker pool", 0.0)
    return machinery, machinery / render if render else float("nan")


def cpu_text(cpu: dict[str, float]) -> str:
    """CPU seconds by role, largest first."""
    ranked = sorted(cpu.items(), key=lambda item: -item[1])
    parts = [f"{name} {seconds:.2f}" for name, seconds in ranked if seconds >= 0.01]
    return "CPU s: " + ", ".join(parts) + f" (total {sum(cpu.values()):.2f})"


async def sixty_segments(
    bootstrap: str, work: Path, max_parallelism: int | None = None
) -> tuple[float, list[float], list[float]]:
    """Wall seconds of the 60-segment render by the engine alone, then through Kafka twice:
    right after the worker starts (cold pool processes) and again (warm, as in service); and
    the event machinery's share of each render's CPU."""
    media = write_sample_media(work / "media", videos=4, stills=4, size=(640, 360))
    song = write_song(work / "song", bpm=120.0, bars=30)
    settings = RenderSettings.model_validate(
        {
            "beats_per_cut": 2,
            "transition": {"type": "crossfade", "duration_ms": 250},
            "output": {"width": 640, "height": 360, "fps": 24},
        }
    )
    prepared = prepare_render(
        song, media, settings, render_job_id="bench-60", cache_dir=work / "grids"
    )
    assets = {
        m.asset_id: MediaAsset(
            id=m.asset_id,
            kind="video" if m.media_type == "video" else "image",
            path=m.local_path or "",
            checksum=m.checksum,
            width=m.width or 1,
            height=m.height or 1,
            duration_ms=m.duration_ms,
            fps=m.fps,
        )
        for m in prepared.request.media
    }
    cpu0, t0 = os.times(), time.perf_counter()
    render_edl(prepared.edl, assets, song, work / "engine.mp4", work / "engine-work", workers=2)
    engine_s = time.perf_counter() - t0
    cpu1 = os.times()
    # The pool's processes have ended and been waited for: their CPU is in children_*.
    engine_cpu = sum(cpu1[:4]) - sum(cpu0[:4])
    print(f"  engine alone: {engine_s:.2f} s, CPU s: {engine_cpu:.2f}")

    prefix = f"bp{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, prefix)
    if max_parallelism is not None:
        await set_max_parallelism(bootstrap, prefix, max_parallelism)
    walls: list[float] = []
    shares: list[float] = []
    with workers(1, bootstrap, prefix, work) as procs:
        still = write_still(work / "warm.png", 160, 120, 0)
        await warm_up(
            bootstrap,
            prefix,
            ClipTaskQueued(
                task_id="warm-up",
                render_job_id="warm-up",
                video_id="warm",
                segment_index=0,
                total_segments=1,
                segment=prepared.request.edl.segments[0].model_copy(update={"asset_id": "warm"}),
                source=MediaSource(
                    asset_id="warm",
                    media_type="image",
                    checksum="warm",
                    local_path=str(still),
                    width=160,
                    height=120,
                ),
                output=prepared.request.output,
            ),
        )
        role = _role({p.pid for p in procs})
        idle = await idle_event_cpu(role)
        for job in ("bench-60", "bench-60-again"):
            request = prepared.request.model_copy(update={"render_job_id": job})
            wall, cpu = await render_through_kafka(bootstrap, prefix, request, role)
            walls.append(wall)
            shares.append(event_cpu(cpu)[1])
            busy = event_cpu(cpu)[0] - idle * wall
            print(
                f"  of which idle upkeep {idle * wall:.2f} CPU s ({idle:.3f} CPU s/s with nothing "
                f"to do); the tasks' own: {1000 * busy / len(request.edl.segments):.0f} CPU ms "
                "per clip task"
            )
    return engine_s, walls, shares


async def main(count: int, max_parallelism: int | None) -> None:
    """Run both parts and print the figures."""
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    rate = p95 = float("nan")
    try:
        with kafka() as bootstrap:
            if count:
                rate, p50, p95 = await trivial_tasks(bootstrap, work, count)
                print(
                    f"{count} trivial clip tasks, 2 workers: {rate:.1f} tasks/s; "
                    f"queue→start p50 {p50:.0f} ms, p95 {p95:.0f} ms"
                )
            engine_s, (cold_s, warm_s), shares = await sixty_segments(
                bootstrap, work, max_parallelism
            )
            limit = max_parallelism or RenderClipConfig().max_parallelism
            print(
                f"60-segment render 640x360@24: engine alone {engine_s:.1f} s; "
                f"through Kafka (1 worker, max_parallelism {limit}, from request to "
                f"RenderCompleted) {cold_s:.1f} s on a fresh worker, {warm_s:.1f} s on its "
                "second render"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"RESULT tasks_per_s={rate:.1f} latency_p95_ms={p95:.0f} "
        f"pipeline_overhead_ratio={cold_s / engine_s:.2f} "
        f"pipeline_overhead_ratio_warm={warm_s / engine_s:.2f} "
        f"event_cpu_share_warm={shares[-1]:.3f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000, help="0 skips the trivial tasks")
    parser.add_argument(
        "--max-parallelism", type=int, default=None, help="publish this config before the render"
    )
    args = parser.parse_args()
    asyncio.run(main(args.tasks, args.max_parallelism))
