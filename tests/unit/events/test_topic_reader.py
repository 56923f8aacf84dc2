"""The topic reader's pure parts: where a key lives, and when reading stops (a fake consumer)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition

from events.topic_reader import TopicReader, partition_for_key

# Kafka's own test of its murmur2 (clients UtilsTest.testMurmur2): the Java client's hashes.
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def test_a_key_goes_where_the_java_client_puts_it() -> None:
    # The Java producer: Utils.toPositive(Utils.murmur2(key)) % numPartitions.
    for key, java_hash in JAVA_MURMUR2.items():
        for count in (1, 3, 6, 7, 12, 2**31 - 1):
            assert partition_for_key(key, count) == (java_hash & 0x7FFFFFFF) % count, (key, count)


def test_a_key_goes_where_our_producers_put_it() -> None:
    partitioner = DefaultPartitioner()
    for count in (1, 3, 6):
        numbers = list(range(count))
        for i in range(200):
            key = f"job-{i:04d}".encode()
            assert partition_for_key(key, count) == partitioner(key, numbers, numbers)


class FakeConsumer:
    """Partitions as lists of values; getmany hands out up to max_records per partition."""

    def __init__(self, logs: dict[TopicPartition, list[bytes]]) -> None:
        self.logs = logs
        self.positions = dict.fromkeys(logs, 0)
        self.fetched: list[tuple[TopicPartition, ...]] = []

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: len(self.logs[tp]) for tp in tps}

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    async def getmany(self, *tps: TopicPartition, timeout_ms: int, max_records: int | None) -> Any:
        self.fetched.append(tps)
        out = {}
        for tp in tps:
            start = self.positions[tp]
            values = self.logs[tp][start : None if max_records is None else start + max_records]
            if values:
                out[tp] = [SimpleNamespace(offset=start + i, value=v) for i, v in enumerate(values)]
                self.positions[tp] = start + len(values)
        return out


A, B = TopicPartition("t", 0), TopicPartition("t", 1)


async def test_until_end_stops_at_the_end_as_of_start() -> None:
    consumer = FakeConsumer({A: [b"a0", b"a1", b"a2"], B: []})
    reader = await TopicReader.start(consumer, [A, B], until_end=True)
    assert reader.end_offsets == {A: 3, B: 0} and not reader.caught_up
    consumer.logs[A].append(b"a3")  # produced after reading began
    consumer.logs[B].append(b"b0")
    seen = [r.value async for r in reader.records(max_records=2)]
    assert seen == [b"a0", b"a1", b"a2"]
    assert reader.caught_up
    assert all(tps == (A,) for tps in consumer.fetched)  # B was at its end from the start


async def test_a_follower_says_when_it_caught_up_and_goes_on() -> None:
    consumer = FakeConsumer({A: [b"a0", b"a1"]})
    reader = await TopicReader.start(consumer, [A], until_end=False)
    batches = reader.batches(max_records=1)
    assert [r.value for r in (await anext(batches))[A]] == [b"a0"]
    assert not reader.caught_up
    assert [r.value for r in (await anext(batches))[A]] == [b"a1"]
    assert reader.caught_up
    assert await anext(batches) == {}  # nothing new: an empty batch, not the end
    consumer.logs[A].append(b"a2")
    assert [r.value for r in (await anext(batches))[A]] == [b"a2"]


async def test_empty_partitions_are_caught_up_at_once_and_stop_ends_reading() -> None:
    consumer = FakeConsumer({A: []})
    reader = await TopicReader.start(consumer, [A], until_end=False)
    assert reader.caught_up
    stop = asyncio.Event()
    stop.set()
    assert [b async for b in reader.batches(stop=stop)] == []
    assert consumer.fetched == []
