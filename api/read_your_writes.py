"""Produce an event and return once the projector has folded it: a GET after a POST sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

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


async def wait_until_projected(services: Services, produced: Produced) -> None:
    """Return once the projector passed the event, or raise ProjectionLagging; holds no thread."""
    timeout = services.settings.projection_wait_s
    reached = await services.projection.wait(
        produced.topic, produced.partition, produced.offset, timeout
    )
    if not reached:
        raise ProjectionLagging(produced, timeout)


async def emit(
    services: Services,
    payload: Payload,
    *,
    trace_id: str,
    wait: bool = True,
    causation_id: str | None = None,
) -> Produced:
    """Produce one event (caused by the event `causation_id` names, if any); with wait,
    return once it is projected."""
    envelope = make_event(payload, trace_id=trace_id, causation_id=causation_id)
    meta = await services.producer.send(envelope)
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
        await wait_until_projected(services, produced)
    return produced
