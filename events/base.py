"""The base of every payload and the envelope that carries it on the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from events.bounds import INT32_MAX
from events.ids import EventId, Id, TraceId
from events.topics import Topic

ZERO = timedelta(0)


class Payload(BaseModel):
    """A typed event payload: knows its type name, version, topic and key field."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic]
    key_field: ClassVar[str]

    def key(self) -> str:
        """Return the Kafka key: the value of the topic's key field."""
        return str(getattr(self, self.key_field))

    def correlation(self) -> str | None:
        """Return the render job this payload belongs to, if any."""
        value = getattr(self, "render_job_id", None)
        return None if value is None else str(value)


P = TypeVar("P", bound=Payload)


class Envelope(BaseModel, Generic[P]):
    """What goes on the wire: identity, causality, time and the typed payload."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    event_id: EventId
    type: str
    version: int = Field(ge=1, le=INT32_MAX)
    occurred_at: AwareDatetime
    trace_id: TraceId
    correlation_id: Id | None = None
    causation_id: EventId | None = None
    key: str
    payload: P

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Most producers already write UTC; converting those anyway costs a tenth of decoding.
        if value.utcoffset() == ZERO:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:
            # 0001-01-01 east of UTC or 9999-12-31 west of it: a ValueError makes it a
            # validation error (a DecodeError), not a crash of whoever decodes it.
            raise ValueError(f"{value.isoformat()} is outside the dates UTC can hold") from None


@cache
def envelope_model(payload_model: type[Payload]) -> type[Envelope[Any]]:
    """Return the envelope model specialised for one payload model."""
    return Envelope[payload_model]  # type: ignore[valid-type]


def new_id() -> str:
    """Return a fresh random identifier (UUID4 hex with dashes)."""
    return str(uuid4())


def make_event(
    payload: P,
    *,
    trace_id: str,
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> Envelope[P]:
    """Wrap a payload in an envelope; the clock is read here, at the edge, if not given."""
    model: type[Envelope[P]] = envelope_model(type(payload))
    return model(
        event_id=event_id or new_id(),
        type=payload.event_type,
        version=payload.event_version,
        occurred_at=occurred_at or datetime.now(UTC),
        trace_id=trace_id,
        correlation_id=payload.correlation(),
        causation_id=causation_id,
        key=payload.key(),
        payload=payload,
    )


AnyEnvelope = Envelope[Any]
