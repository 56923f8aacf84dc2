"""A worker process: the Faust app with its agents, the config watcher and /metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faust
import structlog
from prometheus_client import start_http_server

from agents.acks import InOrderAcker
from agents.analyzer import Analyzer
from agents.assembler import Assembler
from agents.assembly_state import JobAssembly
from agents.cancellations import CancellationWatcher
from agents.clip_runner import ClipRunner
from agents.config_watcher import ConfigWatcher
from agents.metrics import RENDER_CONSUMER_LAG
from agents.outbox import Outbox
from agents.planner import handle_render_job_message
from agents.pool import Pool
from agents.scheduler import ClipScheduler
from agents.settings import WorkerSettings
from events.base import Envelope, Payload, make_event
from events.codec import DecodeError, decode
from events.payloads import ClipTaskQueued
from events.settings import KafkaSettings
from events.topics import Topic, physical_name, spec_for

log = structlog.get_logger("render_worker")


def create_app(
    bootstrap: str,
    kafka: KafkaSettings,
    worker: WorkerSettings,
    pool_initializer: Callable[[], None] | None = None,
) -> faust.App:
    """Build the Faust app; our topics come from the topic table, never from Faust.

    `pool_initializer` runs in each pool process as it starts (the CLI passes its logging
    set-up, so the engine's log lines are JSON too)."""
    app = faust.App(
        f"{kafka.topic_prefix}-workers",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        # A rebalance must not wait for in-flight work (see FIELD-NOTES.md).
        stream_wait_empty=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=worker.broker_rebalance_timeout_s,
        broker_session_timeout=worker.broker_session_timeout_s,
        broker_heartbeat_interval=1,
    )
    prefix = kafka.topic_prefix
    outbox = Outbox(bootstrap, prefix, worker.worker_id)
    watcher = ConfigWatcher(bootstrap, prefix, worker.worker_id)
    cancellations = CancellationWatcher(bootstrap, prefix, worker.worker_id)
    pool = Pool(
        worker.process_pool_size,
        pool_initializer,
        parallelism=lambda: watcher.live.config.max_parallelism,
    )
    artifacts = Path(worker.artifacts_dir)

    def topic(*topics: Topic) -> faust.TopicT:
        names = [physical_name(prefix, t) for t in topics]
        return app.topic(*names, key_serializer="raw", value_serializer="raw", internal=False)

    async def emit_for(cause: Envelope[Any], payloads: list[Payload]) -> None:
        await outbox.send(
            [make_event(p, trace_id=cause.trace_id, causation_id=cause.event_id) for p in payloads]
        )

    async def emit_for_job(state: JobAssembly, payloads: list[Payload]) -> None:
        trace = state.trace_id or state.render_job_id
        await outbox.send(
            [make_event(p, trace_id=trace, causation_id=state.request_event_id) for p in payloads]
        )

    runner = ClipRunner(
        worker_id=worker.worker_id,
        emit=emit_for,
        execute=pool.run,
        config=lambda: watcher.live.config,
        tmp_root=artifacts / "render_tmp",
        timeouts_s=(worker.clip_connect_timeout_s, worker.clip_read_timeout_s),
        is_cancelled=cancellations.is_cancelled,
    )
    scheduler = ClipScheduler(limits=lambda: watcher.live.config, run=runner.run)
    watcher.on_change = lambda _live: scheduler.pump()
    acker = InOrderAcker()
    table = app.Table(
        "assembly",
        default=None,
        partitions=spec_for(Topic.CLIP_EVENTS).partitions,
    )
    assembler = Assembler(
        table=table,
        emit=emit_for_job,
        execute=pool.run,
        artifacts=artifacts,
        placeholder=lambda: watcher.live.config.placeholder_asset_path,
        timeouts_s=(worker.clip_connect_timeout_s, worker.clip_read_timeout_s),
    )

    analyzer = Analyzer(
        worker_id=worker.worker_id,
        outbox=outbox,
        execute=pool.run,
        # Absolute: the path travels in events to processes with other working directories.
        grids_dir=artifacts.resolve() / "beat-grids",
    )

    @app.agent(topic(Topic.RENDER_JOBS), name="planner")
    async def planner(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await handle_render_job_message(event.message, outbox)

    @app.agent(topic(Topic.CLIP_TASKS), name="clipper")
    async def clipper(stream: faust.StreamT) -> None:
        # Events are acked by hand, in offset order, when their task has finished.
        manual: Any = stream  # noack() is on faust.Stream, not on the StreamT protocol
        async for event in manual.noack().events():
            tp = event.message.tp
            acker.add(tp, event)
            try:
                env = decode(event.message.value)
            except DecodeError as exc:
                await outbox.dead_letter(event.message, exc.reason, consumer="clipper")
                acker.done(tp, event)
                continue
            if not isinstance(env.payload, ClipTaskQueued):
                acker.done(tp, event)
                continue
            scheduler.submit(
                env.payload.video_id,
                env,
                on_done=functools.partial(acker.done, tp, event),
                owner=tp,
            )

    @app.agent(topic(Topic.RENDER_JOBS, Topic.CLIP_EVENTS), name="assembler")
    async def assembler_agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                env = decode(event.message.value)
            except DecodeError:
                continue  # the planner or the projector dead-letters it
            await assembler.handle(env)

    @app.agent(topic(Topic.ANALYSIS), name="analyzer")
    async def analyzer_agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await analyzer.handle(event.message)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types expect sync
    async def forget_revoked(sender: Any, revoked: set[Any], **_: Any) -> None:
        dropped = scheduler.drop(revoked)
        acker.forget(revoked)
        log.info(
            "render_worker.partitions_revoked",
            trace_id=None,
            worker=worker.worker_id,
            partitions=len(revoked),
            queued_tasks_released=dropped,
        )

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode types expect sync
    async def note_assigned(sender: Any, assigned: set[Any], **_: Any) -> None:
        log.info(
            "render_worker.partitions_assigned",
            trace_id=None,
            worker=worker.worker_id,
            partitions=len(assigned),
            inflight=scheduler.inflight,
        )

    @app.timer(5.0)
    async def measure_lag() -> None:
        lag: dict[str, int] = {}
        for tp in app.consumer.assignment():
            position = await app.consumer.position(tp)
            behind = app.consumer.highwater(tp) - (position or 0)
            lag[tp.topic] = lag.get(tp.topic, 0) + max(behind, 0)
        for topic_name, value in lag.items():
            RENDER_CONSUMER_LAG.labels(topic=topic_name).set(value)

    @app.task
    async def warm_pool() -> None:
        started = await pool.warm_up(worker.process_pool_size)
        log.info("render_worker.pool_ready", trace_id=None, processes=started)

    @app.task
    async def watch_config() -> None:
        await watcher.run()

    @app.task
    async def watch_cancellations() -> None:
        await cancellations.run()

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # mode types expect sync
    async def close(sender: Any, *_: Any, signal: Any, **__: Any) -> None:
        pool.close()
        await outbox.close()

    return app


def run_worker(
    bootstrap: str,
    kafka: KafkaSettings,
    worker: WorkerSettings,
    pool_initializer: Callable[[], None] | None = None,
) -> None:
    """Run one worker process until it is stopped."""
    if worker.worker_metrics_port:
        start_http_server(worker.worker_metrics_port)
    log.info(
        "render_worker.starting",
        trace_id=None,
        worker=worker.worker_id,
        bootstrap=bootstrap,
        metrics_port=worker.worker_metrics_port or None,
    )
    app = create_app(bootstrap, kafka, worker, pool_initializer)
    runner = faust.Worker(app, quiet=True, redirect_stdouts=False, override_logging=False)
    # Faust's start-up spinner writes terminal escapes to stdout even when it is a file.
    runner.spinner = None
    runner.execute_from_commandline()
