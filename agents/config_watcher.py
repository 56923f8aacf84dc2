"""Every worker reads the config topic from its start and applies each valid new version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from agents.config_state import DEFAULT, ConfigDecision, LiveConfig, consider
from agents.metrics import RENDER_CONFIG_UPDATE
from events.topic_reader import WATCH_WAIT_MS, follow
from events.topics import Topic, physical_name

log = structlog.get_logger("render_worker")


class ConfigWatcher:
    """Holds the live RenderClipConfig; no consumer group, so every worker sees every version."""

    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        worker_id: str,
        on_change: Callable[[LiveConfig], None] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = physical_name(prefix, Topic.RENDER_CONFIG)
        self.worker_id = worker_id
        self.live = DEFAULT
        self.on_change = on_change
        self.caught_up = asyncio.Event()

    def handle(self, raw: bytes | None, offset: int) -> ConfigDecision:
        """Apply one message from the config topic and say so in the log."""
        decision = consider(self.live, raw)
        trace_id = decision.trace_id
        if decision.outcome == "applied":
            self.live = decision.live
            RENDER_CONFIG_UPDATE.inc()
            log.info(
                "render_worker.config_hot_reload",
                trace_id=trace_id,
                worker=self.worker_id,
                config_version=self.live.version,
                **self.live.config.model_dump(),
            )
            if self.on_change is not None:
                self.on_change(self.live)
        elif decision.outcome == "rejected":
            log.warning(
                "render_worker.config_rejected",
                trace_id=trace_id,
                worker=self.worker_id,
                offset=offset,
                reason=decision.reason,
                kept_version=self.live.version,
            )
        return decision

    async def run(self) -> None:
        """Follow the config topic until cancelled."""
        async with follow(self.bootstrap, [self.topic], fetch_max_wait_ms=WATCH_WAIT_MS) as reader:
            if reader.caught_up:
                self.caught_up.set()
            async for batch in reader.batches():
                for records in batch.values():
                    for record in records:
                        self.handle(record.value, record.offset)
                if reader.caught_up:
                    self.caught_up.set()
