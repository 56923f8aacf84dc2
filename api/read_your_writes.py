"""Produce an event and return once the projector has folded it: a GET after a POST sees it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import structlog
from anyio import from_thread

from api.read_models import projected_offset
from api.services import Services
from events.base import Envelope, Payload, make_event

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Produced:
    """Where an event landed in the log."""

    envelope: Envelope[Any]
    topic: str
    partition: int
    offset: int


class ProjectionLagging(RuntimeError):
    """The event is in the log, but the read model did not show it in time."""

    def __init__(self, produced: Produced, waited_s: float) -> None:
        super().__init__(
            f"The {produced.envelope.type} event was accepted (offset {produced.offset} of "
            f"{produced.topic}[{produced.partition}]) but the projector has not folded it "
            f"within {waited_s:g} s. Is `beatstitch projector` running? The change will "
            "show once it catches up; do not send the request again."
        )
        self.produced = produced


def wait_until_projected(services: Services, produced: Produced) -> None:
    """Block (in a worker thread) until the projector passed the event, or raise."""
    timeout = services.settings.projection_wait_s
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        done = projected_offset(
            services.engine, services.database.projector_name, produced.topic, produced.partition
        )
        if done > produced.offset:
            return
        if time.monotonic() >= deadline:
            raise ProjectionLagging(produced, timeout)
        # Polls the offsets table, backing off: the projector commits batches, not events.
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def emit(services: Services, payload: Payload, *, trace_id: str, wait: bool = True) -> Produced:
    """Produce one event from a request thread; with wait, return once it is projected."""
    envelope = make_event(payload, trace_id=trace_id)
    meta = from_thread.run(services.producer.send, envelope)
    produced = Produced(envelope, meta.topic, meta.partition, meta.offset)
    log.info(
        "api.event_produced",
        event_type=envelope.type,
        event_id=envelope.event_id,
        topic=meta.topic,
        partition=meta.partition,
        offset=meta.offset,
    )
    if wait:
        wait_until_projected(services, produced)
    return produced
