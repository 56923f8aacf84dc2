"""A worker process: the Faust app with its agents, the config watcher and /metrics."""

from __future__ import annotations

from typing import Any

import faust
import structlog
from prometheus_client import start_http_server

from agents.config_watcher import ConfigWatcher
from agents.outbox import Outbox
from agents.planner import handle_render_job_message
from agents.settings import WorkerSettings
from events.settings import KafkaSettings
from events.topics import Topic, physical_name

log = structlog.get_logger("render_worker")


def create_app(bootstrap: str, kafka: KafkaSettings, worker: WorkerSettings) -> faust.App:
    """Build the Faust app; every topic comes from the topic table, none from Faust."""
    app = faust.App(
        f"{kafka.topic_prefix}-workers",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        # A rebalance must not wait for in-flight work (see FIELD-NOTES.md).
        stream_wait_empty=False,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=worker.broker_rebalance_timeout_s,
        broker_session_timeout=worker.broker_session_timeout_s,
        broker_heartbeat_interval=1,
    )
    outbox = Outbox(bootstrap, kafka.topic_prefix, worker.worker_id)
    watcher = ConfigWatcher(bootstrap, kafka.topic_prefix, worker.worker_id)

    def topic(t: Topic) -> faust.TopicT:
        name = physical_name(kafka.topic_prefix, t)
        return app.topic(name, key_serializer="raw", value_serializer="raw", internal=False)

    @app.agent(topic(Topic.RENDER_JOBS), name="planner")
    async def planner(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await handle_render_job_message(event.message, outbox)

    @app.task
    async def watch_config() -> None:
        await watcher.run()

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # mode types expect a sync callable
    async def close_outbox(sender: Any, *_: Any, signal: Any, **__: Any) -> None:
        await outbox.close()

    return app


def run_worker(bootstrap: str, kafka: KafkaSettings, worker: WorkerSettings) -> None:
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
    app = create_app(bootstrap, kafka, worker)
    faust.Worker(
        app, quiet=True, redirect_stdouts=False, override_logging=False
    ).execute_from_commandline()
