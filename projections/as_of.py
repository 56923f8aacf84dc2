"""Where an as-of replay stops: a moment in event time, or an offset per partition. Pure.

"The read models as they stood at T" is, per partition, the longest run of events from its
start whose `occurred_at` is at or before T: the first event stamped after T ends that
partition, and nothing behind it is folded, even an event stamped earlier (it was written
after a later one, so the log had not reached it by T). Partitions are cut one by one, as a
projector reading the log at T would have found them. The offsets a replay stopped at say
exactly what it folded; `--until-offsets` with them rebuilds the same read models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from events.topics import EVENT_TOPICS, Topic, logical_topic, physical_name
from projections.store import TopicPartitionKey

OFFSETS_MAX_CHARS = 10_000
_ONE = re.compile(r"^([a-z.]+):([0-9]{1,9})=([0-9]{1,18})$")


class CutoffError(ValueError):
    """An --until or --until-offsets that cannot be read; the message says what to write."""


@dataclass(frozen=True)
class Cutoff:
    """Fold each partition up to an event time (`until`) or below an offset (`offsets`)."""

    until: datetime | None = None
    # Next offsets, by physical topic and partition: a partition not named is not folded.
    offsets: Mapping[TopicPartitionKey, int] | None = None

    def offset_reached(self, tp: TopicPartitionKey, offset: int) -> bool:
        """True when the record at `offset` is past the partition's stop offset."""
        return self.offsets is not None and offset >= self.offsets.get(tp, 0)

    def later(self, occurred_at: datetime) -> bool:
        """True when an event stamped `occurred_at` happened after the cutoff time."""
        return self.until is not None and occurred_at > self.until


def parse_until(text: str) -> datetime:
    """An ISO 8601 time with its zone (2026-11-30T12:00:00Z), in UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CutoffError(
            f"--until {text!r} is not an ISO 8601 time; write it like 2026-11-30T12:00:00Z"
        ) from None
    if moment.utcoffset() is None:
        raise CutoffError(
            f"--until {text!r} has no time zone; add Z for UTC (2026-11-30T12:00:00Z)"
        )
    return moment.astimezone(UTC)


def parse_offsets(text: str, prefix: str) -> dict[TopicPartitionKey, int]:
    """`render.jobs:0=12,clip.events:1=40` as next offsets by physical topic and partition."""
    if len(text) > OFFSETS_MAX_CHARS:
        raise CutoffError(f"--until-offsets is longer than {OFFSETS_MAX_CHARS} characters")
    names = ", ".join(t.value for t in EVENT_TOPICS)
    found: dict[TopicPartitionKey, int] = {}
    for part in (p.strip() for p in text.split(",")):
        match = _ONE.match(part)
        if not match:
            raise CutoffError(
                f"--until-offsets: {part!r} is not TOPIC:PARTITION=OFFSET "
                "(for example render.jobs:0=12)"
            )
        name, partition, offset = match.group(1), int(match.group(2)), int(match.group(3))
        if name not in {t.value for t in EVENT_TOPICS}:
            raise CutoffError(f"--until-offsets: {name!r} is not an event topic ({names})")
        key = (physical_name(prefix, Topic(name)), partition)
        if key in found:
            raise CutoffError(f"--until-offsets names {name}:{partition} twice")
        found[key] = offset
    return found


def format_offsets(positions: Mapping[TopicPartitionKey, int], prefix: str) -> str:
    """Next offsets as `render.jobs:0=12,…`, in topic-table order: what --until-offsets takes."""
    order = {physical_name(prefix, t): i for i, t in enumerate(EVENT_TOPICS)}
    keys = sorted(positions, key=lambda k: (order.get(k[0], len(order)), k[0], k[1]))
    parts = []
    for topic, partition in keys:
        logical = logical_topic(prefix, topic)
        name = logical.value if logical is not None else topic
        parts.append(f"{name}:{partition}={positions[(topic, partition)]}")
    return ",".join(parts)
