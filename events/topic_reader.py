"""Reading topics without a consumer group: `follow`, the one place that builds a Kafka consumer.

Partitions are assigned by hand (whole topics, or the one partition that holds a key), each
starts where the caller says, and records come in batches per partition. The end of every
partition is taken when reading begins, so a reader can say when it has caught up with the log
as it was, or stop there. Decoding stays with the callers: each treats a bad message its own way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import murmur2
from aiokafka.structs import ConsumerRecord, TopicPartition

from events.base import Envelope
from events.codec import decode
from events.kafka_credentials import aiokafka_options, client_credentials
from events.kafka_io import partitions_of

Record: TypeAlias = ConsumerRecord[bytes, bytes]  # keys and values stay raw bytes
Batch: TypeAlias = dict[TopicPartition, list[Record]]


@dataclass(frozen=True)
class Since:
    """Start at the first record stamped at or after `timestamp_ms` (ms since the epoch), or at
    the end of a partition that has none."""

    timestamp_ms: int


# Where every partition starts: its beginning, its end, a time, or offsets per partition (a
# partition without one starts at its beginning).
Start: TypeAlias = Literal["beginning", "end"] | Since | Mapping[TopicPartition, int]


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition a key's records go to: the Java client's murmur2, as all our producers use."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


async def key_partition(bootstrap: str, topic: str, key: bytes) -> TopicPartition:
    """The partition of a topic that holds a key's records."""
    found = await partitions_of(bootstrap, [topic])
    if not found:
        raise LookupError(f"topic {topic} does not exist")
    return TopicPartition(topic, partition_for_key(key, len(found)))


class TopicReader:
    """The records of the assigned partitions, and how far reading is from the end as of start."""

    def __init__(
        self,
        consumer: Any,
        partitions: list[TopicPartition],
        end_offsets: dict[TopicPartition, int],
        until_end: bool,
    ) -> None:
        self._consumer = consumer
        self._until_end = until_end
        self.partitions = partitions
        self.end_offsets = end_offsets
        self._behind = set(partitions)

    @classmethod
    async def start(
        cls, consumer: Any, partitions: list[TopicPartition], until_end: bool
    ) -> TopicReader:
        """A reader of an assigned and positioned consumer; the partitions' ends are taken now."""
        ends = await consumer.end_offsets(partitions) if partitions else {}
        reader = cls(consumer, partitions, ends, until_end)
        await reader._note_positions()
        return reader

    async def _note_positions(self) -> None:
        self._behind = {tp for tp in self._behind if await self.position(tp) < self.end_offsets[tp]}

    def finish(self, tp: TopicPartition) -> None:
        """Read no more of a partition: a reader that follows until the end stops fetching it
        and is done once the others are (a batch already fetched may still hold its records)."""
        self._behind.discard(tp)

    @property
    def caught_up(self) -> bool:
        """True once every partition has been read up to the end it had when reading began."""
        return not self._behind

    async def position(self, tp: TopicPartition) -> int:
        """The offset of the next record of a partition this reader will hand out."""
        return int(await self._consumer.position(tp))

    async def batches(
        self,
        *,
        max_records: int | None = None,
        timeout_ms: int = 200,
        stop: asyncio.Event | None = None,
    ) -> AsyncIterator[Batch]:
        """Records per partition in offset order; an empty batch when none came in timeout_ms.

        Ends when `stop` is set (looked at before each fetch) or, for a reader that follows
        until the end, once it has caught up; otherwise it goes on until the caller leaves."""
        while stop is None or not stop.is_set():
            if self._until_end and self.caught_up:
                return
            # Until the end, a partition that got there is no longer fetched.
            wanted = [tp for tp in self.partitions if tp in self._behind or not self._until_end]
            data = await self._consumer.getmany(
                *wanted, timeout_ms=timeout_ms, max_records=max_records
            )
            await self._note_positions()
            yield self._within_end(data) if self._until_end else data

    async def records(self, **options: Any) -> AsyncIterator[Record]:
        """Each record in turn (in offset order within a partition); options as for batches."""
        async for batch in self.batches(**options):
            for records in batch.values():
                for record in records:
                    yield record

    def _within_end(self, data: Batch) -> Batch:
        # One fetch may run past the end as of start; those records are not this reader's.
        kept = {
            tp: [r for r in records if r.offset < self.end_offsets[tp]]
            for tp, records in data.items()
        }
        return {tp: records for tp, records in kept.items() if records}


# The broker holds an empty fetch of a long-lived watcher this long (the consumer's request
# timeout, aiokafka's 40 s, stays well above it): one request per 5 s instead of two a second
# for each idle reader of a worker, the API and the projector.
WATCH_WAIT_MS = 5000


@contextlib.asynccontextmanager
async def follow(
    bootstrap: str,
    sources: Iterable[str | TopicPartition],
    *,
    start: Start = "beginning",
    until_end: bool = False,
    max_partition_fetch_bytes: int = 1024 * 1024,
    fetch_max_bytes: int = 50 * 1024 * 1024,
    fetch_max_wait_ms: int = 500,
) -> AsyncIterator[TopicReader]:
    """Read topics (every partition of those that exist) or single partitions, without a group.

    With until_end the reader stops at the end the partitions had when reading began. The
    fetch sizes (aiokafka's defaults) bound what one fetch brings per partition and in all;
    fetch_max_wait_ms is how long the broker holds a fetch that finds nothing new (records
    that arrive meanwhile are answered at once, so a longer wait costs no latency, only
    fewer requests: readers that watch a quiet topic for ever pass WATCH_WAIT_MS)."""
    partitions = await _partitions(bootstrap, sources)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        **aiokafka_options(client_credentials()),
        enable_auto_commit=False,
        # An offset the log no longer has (a topic made anew) reads all there is: the log is
        # the truth, and the callers skip what they have already seen.
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=max_partition_fetch_bytes,
        fetch_max_bytes=fetch_max_bytes,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await _seek(consumer, partitions, start)
        yield await TopicReader.start(consumer, partitions, until_end)
    finally:
        await consumer.stop()


async def _partitions(
    bootstrap: str, sources: Iterable[str | TopicPartition]
) -> list[TopicPartition]:
    wanted = list(sources)
    names = [s for s in wanted if isinstance(s, str)]
    whole = await partitions_of(bootstrap, names) if names else []
    return whole + [s for s in wanted if isinstance(s, TopicPartition)]


async def _seek(consumer: Any, partitions: list[TopicPartition], start: Start) -> None:
    if not partitions:
        return
    if start == "beginning":
        await consumer.seek_to_beginning(*partitions)
    elif start == "end":
        await consumer.seek_to_end(*partitions)
    elif isinstance(start, Since):
        found = await consumer.offsets_for_times({tp: start.timestamp_ms for tp in partitions})
        for tp in partitions:
            hit = found.get(tp)
            if hit is None:
                await consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, hit.offset)
    else:
        assert not isinstance(start, str)
        for tp in partitions:
            if tp in start:
                consumer.seek(tp, start[tp])
            else:
                await consumer.seek_to_beginning(tp)


__all__ = [
    "Batch",
    "Record",
    "Since",
    "Start",
    "TopicReader",
    "follow",
    "key_partition",
    "partition_for_key",
]


async def read_until(
    bootstrap: str, topic: str, done: Callable[[list[Envelope[Any]]], bool]
) -> list[Envelope[Any]]:
    """Decode a topic from its beginning until `done(events so far)` is true (tests, benches)."""
    seen: list[Envelope[Any]] = []
    if done(seen):
        return seen
    async with follow(bootstrap, [topic]) as reader:
        async for record in reader.records():
            seen.append(decode(record.value))
            if done(seen):
                break
    return seen
