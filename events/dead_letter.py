"""The dead-letter record: an undecodable message, why it failed and where it came from."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

KEPT_BYTES = 64 * 1024


class DeadLetter(BaseModel):
    """A message that could not be decoded, kept with its origin for people to inspect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: str | None
    # Base64 because the original bytes need not be text; at most KEPT_BYTES of them, so a
    # dead letter of a message near Kafka's size limit still fits in a message.
    original_value_b64: str
    original_size: int = 0
    original_sha256: str = ""
    truncated: bool = False
    consumer: str
    dead_lettered_at: AwareDatetime

    def original_value(self) -> bytes:
        """Return the original message bytes (their first KEPT_BYTES if `truncated`)."""
        return base64.b64decode(self.original_value_b64)


def dead_letter_for(
    *,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    consumer: str,
    now: datetime,
) -> DeadLetter:
    """Build the dead-letter record of one undecodable message."""
    original = value or b""
    return DeadLetter(
        reason=reason,
        original_topic=topic,
        original_partition=partition,
        original_offset=offset,
        original_key=None if key is None else key.decode("utf-8", errors="replace"),
        original_value_b64=base64.b64encode(original[:KEPT_BYTES]).decode(),
        original_size=len(original),
        original_sha256=hashlib.sha256(original).hexdigest(),
        truncated=len(original) > KEPT_BYTES,
        consumer=consumer,
        dead_lettered_at=now,
    )


def dead_letter_of(record: Any, reason: str, consumer: str, now: datetime) -> DeadLetter:
    """The dead-letter record of a consumed Kafka message (aiokafka or Faust)."""
    return dead_letter_for(
        reason=reason,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        consumer=consumer,
        now=now,
    )
