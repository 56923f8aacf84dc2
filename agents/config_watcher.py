"""Every worker reads the config topic from its start and applies each valid new version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from aiokafka import AIOKafkaConsumer

from agents.config_state import DEFAULT, ConfigDecision, LiveConfig, consider
from agents.metrics import RENDER_CONFIG_UPDATE
from events.codec import DecodeError, decode
from events.kafka_io import partitions_of
from events.topics import Topic, physical_name

log = structlog.get_logger("render_worker")


def _trace_id(raw: bytes | None) -> str | None:
    try:
        return decode(raw).trace_id
    except DecodeError:
        return None


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
        trace_id = _trace_id(raw)
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
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await consumer.start()
        try:
            tps = await partitions_of(self.bootstrap, [self.topic])
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            end = await consumer.end_offsets(tps)
            if all(off == 0 for off in end.values()):
                self.caught_up.set()
            while True:
                data = await consumer.getmany(*tps, timeout_ms=200)
                for records in data.values():
                    for record in records:
                        self.handle(record.value, record.offset)
                if not self.caught_up.is_set():
                    positions = [await consumer.position(tp) for tp in tps]
                    if all(pos >= end[tp] for pos, tp in zip(positions, tps, strict=True)):
                        self.caught_up.set()
        finally:
            await consumer.stop()
