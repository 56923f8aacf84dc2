"""The worker's producer of events and dead letters, started on first use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka.errors import (
    InvalidProducerEpoch,
    OutOfOrderSequenceNumber,
    ProducerClosed,
    UnknownProducerId,
)

from agents.metrics import RENDER_PRODUCER_REPLACED
from events.base import Envelope
from events.dead_letter import dead_letter_of
from events.kafka_io import EventProducer

log = structlog.get_logger("render_worker")

# Errors after which an idempotent producer never succeeds again: every broker lost the
# sequence numbers it had acknowledged (all SIGKILLed at once, say), so each later batch
# is "out of order" for ever. A new producer gets a new producer id and starts afresh; the
# sends that failed were never acknowledged, so their callers send them again.
PRODUCER_FATAL = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch)

# How long a stuck producer may flush its pending batches when it is dropped.
STOP_GRACE_S = 5.0


class SendDeadlineExceeded(TimeoutError):
    """A send outlived the outbox's deadline; its events count as not sent."""

    def __init__(self, deadline_s: float) -> None:
        super().__init__(f"the broker did not acknowledge the events within {deadline_s:g} s")


class Outbox:
    """Sends events and waits for the broker's ack before the caller moves on."""

    def __init__(
        self, bootstrap: str, prefix: str, worker_id: str, deadline_s: float = 30.0
    ) -> None:
        self.worker_id = worker_id
        self.deadline_s = deadline_s
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
        """Produce events in order and wait until the broker has them all (or raise)."""
        await self._within_deadline(lambda producer: producer.send_many(envelopes))

    async def _within_deadline(self, send: Callable[[EventProducer], Awaitable[Any]]) -> None:
        # An idempotent producer retries a batch until some broker takes it, so a send can
        # wait without end (a dead leader still in its metadata, a sender that stopped). Past
        # the deadline the producer is dropped with what it holds, and the send raises: the
        # caller's events count as not sent, and its task runs again.
        producer: EventProducer | None = None
        try:
            async with asyncio.timeout(self.deadline_s):
                producer = await self._ensure_started()
                await send(producer)
        except PRODUCER_FATAL as exc:
            assert producer is not None
            await self._replace(producer, exc)
            raise
        except TimeoutError as exc:
            late = SendDeadlineExceeded(self.deadline_s)
            if producer is not None:
                await self._replace(producer, late)
            raise late from exc

    async def _replace(self, broken: EventProducer, exc: BaseException) -> None:
        """Drop a producer that cannot recover; the next send starts a new one."""
        assert self._lock is not None
        async with self._lock:
            if self._producer is not broken:
                return  # another send replaced it already
            self._producer = None
        reason = "deadline" if isinstance(exc, TimeoutError) else type(exc).__name__
        RENDER_PRODUCER_REPLACED.labels(reason=reason).inc()
        log.warning(
            "render_worker.producer_replaced",
            trace_id=None,
            worker=self.worker_id,
            reason=reason,
            error=f"{type(exc).__name__}: {exc}",
        )
        with contextlib.suppress(Exception):
            await broken.stop_within(STOP_GRACE_S)

    async def dead_letter(self, message: Any, reason: str, consumer: str) -> None:
        """Send an undecodable message to the dead-letter topic with its origin; logged once
        the letter is in the log (a reader told by the line finds it there)."""
        letter = dead_letter_of(message, reason, consumer, datetime.now(UTC))
        await self._within_deadline(lambda producer: producer.send_dead_letter(letter))
        log.warning(
            "render_worker.dead_letter",
            reason=reason,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            trace_id=None,
        )

    async def close(self) -> None:
        """Flush and stop the producer if it was started; sends from now on fail."""
        self._closed = True
        if self._producer is not None:
            await self._producer.stop_within(self.deadline_s)
            self._producer = None
