"""A worker process: the Faust app with its agents and housekeeping, and /metrics."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import faust
import structlog
from prometheus_client import start_http_server

from agents.collaborators import Collaborators, build_collaborators
from agents.commit_on_revoke import WorkerApp
from agents.egress_proxy import EgressProxy
from agents.handling import handle_message, report_handler_error
from agents.metrics import RENDER_CONSUMER_LAG
from agents.planner import handle_render_job_message
from agents.settings import WorkerSettings
from agents.source_guard import route_remote_sources_through, system_resolve
from domain.remote_sources import parse_allowed_hosts
from events.codec import DecodeError, decode
from events.consumer_groups import worker_group
from events.kafka_credentials import KafkaCredentials, client_credentials, ssl_context
from events.payloads import ClipTaskQueued
from events.settings import KafkaSettings
from events.topics import Topic, physical_name, spec_for

log = structlog.get_logger("render_worker")
# How often the assembler's upkeep looks for renders to finish or fail (agents/assembly_upkeep).
UPKEEP_INTERVAL_S = 2.0

Handler = Callable[[Any], Awaitable[None]]


def create_app(
    bootstrap: str,
    kafka: KafkaSettings,
    worker: WorkerSettings,
    pool_initializer: Callable[[], None] | None = None,
) -> faust.App:
    """Build the Faust app; our topics come from the topic table, never from Faust.

    `pool_initializer` runs in each pool process as it starts (the CLI passes its logging
    set-up, so the engine's log lines are JSON too)."""
    # Faust makes this folder (empty with a memory store) in the working directory unless
    # told otherwise, and makes only its last part. In the temporary folder it stays out of
    # a checkout and private to the machine (the artifacts may be shared by many workers).
    group = worker_group(kafka.topic_prefix)
    datadir = Path(tempfile.gettempdir()) / "beatstitch-faust" / group
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = WorkerApp(
        group,
        broker=f"kafka://{bootstrap}",
        broker_credentials=faust_credentials(client_credentials()),
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        # A rebalance must not wait for in-flight work: the clipper acks a task only when its
        # clip is done, which can take longer than the rebalance timeout, and the whole group
        # would stall behind it.
        stream_wait_empty=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=worker.broker_rebalance_timeout_s,
        broker_session_timeout=worker.broker_session_timeout_s,
        broker_heartbeat_interval=1,
        # The assembler table's changelog is replicated like our own topics (3 on a cluster).
        topic_replication_factor=kafka.topic_replication_factor,
    )
    table = app.Table(
        "assembly",
        default=None,
        partitions=spec_for(Topic.CLIP_EVENTS).partitions,
    )
    # Before the pool starts: its processes take the proxy from the environment.
    egress = EgressProxy(parse_allowed_hosts(worker.remote_hosts_allowed), system_resolve)
    route_remote_sources_through(egress.start().url)
    parts = build_collaborators(bootstrap, kafka.topic_prefix, worker, table, pool_initializer)
    _add_agents(app, kafka.topic_prefix, parts)
    _add_housekeeping(app, worker, parts)
    _add_upkeep(app, kafka.topic_prefix, parts)
    return app


def faust_credentials(credentials: KafkaCredentials | None) -> faust.SASLCredentials | None:
    """The worker's Kafka credentials in Faust's form (None: an anonymous PLAINTEXT client)."""
    if credentials is None:
        return None
    context = ssl_context(credentials) if credentials.security_protocol == "SASL_SSL" else None
    return faust.SASLCredentials(
        username=credentials.username,
        password=credentials.password.get_secret_value(),
        mechanism=credentials.mechanism,
        ssl_context=context,
    )


def _add_agents(app: faust.App, prefix: str, parts: Collaborators) -> None:
    # Every agent acks by hand (noack): a message is acked once handled or dead-lettered,
    # never because its handler raised or the worker stopped (handle_message decides).
    def topic(*topics: Topic) -> faust.TopicT:
        names = [physical_name(prefix, t) for t in topics]
        return app.topic(*names, key_serializer="raw", value_serializer="raw", internal=False)

    outbox, acker, scheduler = parts.outbox, parts.acker, parts.scheduler

    def stopping() -> bool:
        return scheduler.stopping or parts.pool.closed

    async def each(stream: faust.StreamT, consumer: str, work: Handler) -> None:
        manual: Any = stream  # noack() is on faust.Stream, not on the StreamT protocol
        async for event in manual.noack().events():
            message = event.message
            if not await handle_message(
                message, consumer, functools.partial(work, message), outbox, stopping
            ):
                return  # the worker stops; the message stays unacked for the next owner
            event.ack()

    @app.agent(topic(Topic.RENDER_JOBS), name="planner")
    async def planner(stream: faust.StreamT) -> None:
        await each(
            stream,
            "planner",
            lambda message: handle_render_job_message(
                message, outbox, parts.planned, parts.max_segments
            ),
        )

    @app.agent(topic(Topic.CLIP_TASKS), name="clipper")
    async def clipper(stream: faust.StreamT) -> None:
        # Events are acked by the acker, in offset order, when their task has finished.
        manual: Any = stream  # noack() is on faust.Stream, not on the StreamT protocol
        async for event in manual.noack().events():
            tp = event.message.tp
            acker.add(tp, event)
            done = functools.partial(acker.done, tp, event)
            if not await handle_message(
                event.message,
                "clipper",
                functools.partial(_queue_clip_task, parts, event, done),
                outbox,
                stopping,
                dead_lettered=done,  # the acker must not wait for a task that never queued
            ):
                return
            # Back-pressure: take nothing more from Kafka while the queue is full.
            await scheduler.room()
            if stopping():
                return

    @app.agent(topic(Topic.RENDER_JOBS, Topic.CLIP_EVENTS), name="assembler")
    async def assembler_agent(stream: faust.StreamT) -> None:
        async def assemble(message: Any) -> None:
            try:
                env = decode(message.value)
            except DecodeError:
                return  # the planner or the projector dead-letters it
            await parts.assembler.handle(env, partition=message.partition)

        await each(stream, "assembler", assemble)

    @app.agent(topic(Topic.ANALYSIS), name="analyzer")
    async def analyzer_agent(stream: faust.StreamT) -> None:
        await each(stream, "analyzer", parts.analyzer.handle)

    @app.agent(topic(Topic.ANALYSIS), name="proxier")
    async def proxier_agent(stream: faust.StreamT) -> None:
        await each(stream, "proxier", parts.proxier.handle)

    @app.agent(topic(Topic.VIDEO_GENERATIONS), name="generator")
    async def generator_agent(stream: faust.StreamT) -> None:
        await each(stream, "generator", parts.generator.handle)


async def _queue_clip_task(parts: Collaborators, event: Any, done: Callable[[], None]) -> None:
    """Hand one clip.tasks message to the scheduler (or finish it at once if it is no task)."""
    message = event.message
    try:
        env = decode(message.value)
    except DecodeError as exc:
        await parts.outbox.dead_letter(message, exc.reason, consumer="clipper")
        done()
        return
    if not isinstance(env.payload, ClipTaskQueued):
        done()
        return
    task_id = env.payload.task_id
    # Redelivered after a rebalance, or planned twice: this worker has the task already.
    held = parts.scheduler.attach(lambda item: item.payload.task_id == task_id, done)
    if held or task_id in parts.runner.outcomes:
        log.info(
            "render_worker.clip_task_duplicate_skipped",
            trace_id=env.trace_id,
            task_id=task_id,
            render_job_id=env.payload.render_job_id,
            still_held=held,
        )
        if not held:
            done()
        return

    async def on_error(exc: BaseException) -> None:
        await report_handler_error(parts.outbox, message, "clipper", exc)

    parts.scheduler.submit(
        env.payload.video_id, env, on_done=done, owner=message.tp, on_error=on_error
    )


def _add_housekeeping(app: faust.App, worker: WorkerSettings, parts: Collaborators) -> None:
    # Rebalances, consumer lag, the background tasks and shutdown.
    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode types expect sync
    async def forget_revoked(sender: Any, revoked: set[Any], **_: Any) -> None:
        dropped = parts.scheduler.drop(revoked)
        parts.acker.forget(revoked)
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
            inflight=parts.scheduler.inflight,
        )

    @app.timer(5.0)
    async def measure_lag() -> None:
        lag: dict[str, int] = {}
        for tp in app.consumer.assignment():
            highwater = app.consumer.highwater(tp)
            if highwater is None:
                continue  # just assigned: nothing fetched yet, so no high-water mark
            position = await app.consumer.position(tp)
            behind = highwater - (position or 0)
            lag[tp.topic] = lag.get(tp.topic, 0) + max(behind, 0)
        for topic_name, value in lag.items():
            RENDER_CONSUMER_LAG.labels(topic=topic_name).set(value)

    @app.task
    async def warm_pool() -> None:
        started = await parts.pool.warm_up(worker.process_pool_size)
        log.info("render_worker.pool_ready", trace_id=None, processes=started)

    @app.task
    async def watch_config() -> None:
        await parts.config_watcher.run()

    @app.task
    async def watch_cancellations() -> None:
        await parts.cancellations.run()

    @app.task
    async def collect_disk() -> None:
        await parts.disk.run(worker.gc_interval_s)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # mode types expect sync
    async def close(sender: Any, *_: Any, signal: Any, **__: Any) -> None:
        # In this order: start nothing more, let running tasks finish within the grace (the
        # rest stay unacked and run again on the next owner), stop the pool, and only then
        # the producer, so nothing that still runs meets a closed one.
        log.info("render_worker.stop_requested", trace_id=None, worker=worker.worker_id)
        cut = await parts.scheduler.stop(worker.shutdown_grace_s)
        parts.pool.close()
        log.info(
            "render_worker.stopping",
            trace_id=None,
            worker=worker.worker_id,
            tasks_left_for_next_owner=cut,
        )
        await parts.outbox.close()


def _add_upkeep(app: faust.App, prefix: str, parts: Collaborators) -> None:
    jobs = physical_name(prefix, Topic.RENDER_JOBS)  # co-partitioned with clip.events

    @app.timer(UPKEEP_INTERVAL_S)
    async def finish_renders() -> None:
        # Joins resumed after a crash or a rebalance, deadlines, expired entries; not while
        # the table recovers, when an entry may not yet be what its changelog ends with.
        if app.rebalancing or app.in_recovery:
            return
        mine = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == jobs}
        parts.upkeep.tick(mine)


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
