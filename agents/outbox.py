"""The worker's producer of events and dead letters, started on first use."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka.errors import (
    InvalidProducerEpoch,
    OutOfOrderSequenceNumber,
    ProducerClosed,
    UnknownProducerId,
)

from events.base import Envelope
from events.dead_letter import dead_letter_of
from events.kafka_io import EventProducer

log = structlog.get_logger("render_worker")

# Errors after which an idempotent producer never succeeds again: every broker lost the
# sequence numbers it had acknowledged (all SIGKILLed at once, say), so each later batch
# is "out of order" for ever. A new producer gets a new producer id and starts afresh; the
# sends that failed were never acknowledged, so their callers send them again.
PRODUCER_FATAL = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch)


class Outbox:
    """Sends events and waits for the broker's ack before the caller moves on."""

    def __init__(self, bootstrap: str, prefix: str, worker_id: str) -> None:
        self.worker_id = worker_id
        self._args = (bootstrap, prefix, f"worker-{worker_id}")
        self._producer: EventProducer | None = None
        self._lock: asyncio.Lock | None = None
        self._closed = False

    async def _ensure_started(self) -> EventProducer:
        # Built on first use, inside the running loop: agents may run before Faust starts
        # extra services, and aiokafka clients need a loop when they are made.
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._closed:
                raise ProducerClosed()  # never started again once the worker stops
            if self._producer is None:
                producer = EventProducer(*self._args)
                await producer.start()
                self._producer = producer
            return self._producer

    async def send(self, envelopes: list[Envelope[Any]]) -> None:
        """Produce events in order and wait until the broker has them all."""
        producer = await self._ensure_started()
        try:
            await producer.send_many(envelopes)
        except PRODUCER_FATAL as exc:
            await self._replace(producer, exc)
            raise

    async def _replace(self, broken: EventProducer, exc: BaseException) -> None:
        """Drop a producer that cannot recover; the next send starts a new one."""
        assert self._lock is not None
        async with self._lock:
            if self._producer is not broken:
                return  # another send replaced it already
            self._producer = None
        log.warning(
            "render_worker.producer_replaced",
            trace_id=None,
            worker=self.worker_id,
            error=f"{type(exc).__name__}: {exc}",
        )
        with contextlib.suppress(Exception):
            await broken.stop()

    async def dead_letter(self, message: Any, reason: str, consumer: str) -> None:
        """Send an undecodable message to the dead-letter topic with its origin."""
        producer = await self._ensure_started()
        log.warning(
            "render_worker.dead_letter",
            reason=reason,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            trace_id=None,
        )
        await producer.send_dead_letter(
            dead_letter_of(message, reason, consumer, datetime.now(UTC))
        )

    async def close(self) -> None:
        """Flush and stop the producer if it was started; sends from now on fail."""
        self._closed = True
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
