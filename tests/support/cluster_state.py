"""Watching a Kafka cluster while nodes die: partitions' leaders, replicas and ISRs, and
local conditions, each polled until a state holds (never a fixed sleep).

Every wait has a generous upper bound and returns as soon as the state is reached. Nodes
are named by their Kafka node id, as `LocalKafkaCluster.kill(node_id)` takes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from events.kafka_credentials import aiokafka_options, client_credentials
from events.topic_reader import follow

# This session's credentials (the test brokers refuse anonymous clients).
AUTH = aiokafka_options(client_credentials())

# Fencing a dead broker takes broker.session.timeout.ms (6 s), a restarted one needs its
# JVM start-up (5-10 s on 2 busy cores) and then its catch-up: bounds well above both.
WAIT_S = 90.0
POLL_S = 0.2


@dataclass(frozen=True)
class PartitionState:
    """One partition as the metadata says: its leader (-1: none), replicas and ISR."""

    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


Partitions = dict[TopicPartition, PartitionState]


async def describe_partitions(bootstrap: str, topics: Iterable[str]) -> Partitions:
    """Ask the cluster once for every partition of `topics`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **AUTH, request_timeout_ms=3000)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    result: Partitions = {}
    for topic in described:
        if topic["error_code"] != 0:
            raise RuntimeError(f"topic {topic['topic']}: error code {topic['error_code']}")
        for part in topic["partitions"]:
            result[TopicPartition(topic["topic"], part["partition"])] = PartitionState(
                leader=part["leader"], replicas=tuple(part["replicas"]), isr=tuple(part["isr"])
            )
    return result


async def wait_for_partitions(
    bootstrap: str,
    topics: Iterable[str],
    check: Callable[[Partitions], bool],
    what: str,
    timeout_s: float = WAIT_S,
) -> Partitions:
    """Poll the partitions of `topics` until `check` holds; fail naming `what` and the last
    state seen."""
    names = list(topics)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: Any = "no answer yet"
    while True:
        try:
            parts = await describe_partitions(bootstrap, names)
        except Exception as exc:  # a node may be down or not yet back; ask again
            last = f"{type(exc).__name__}: {exc}"
        else:
            # Right after creation a topic may be listed without its partitions.
            if parts and check(parts):
                return parts
            last = parts
        if loop.time() > deadline:
            raise AssertionError(f"not seen within {timeout_s:.0f} s: {what}; last state: {last}")
        await asyncio.sleep(POLL_S)


async def wait_in_sync(
    bootstrap: str, topics: Iterable[str], timeout_s: float = WAIT_S
) -> Partitions:
    """Wait until every partition has a leader and every replica is in its ISR."""
    return await wait_for_partitions(
        bootstrap,
        topics,
        lambda parts: all(p.leader >= 0 and set(p.isr) == set(p.replicas) for p in parts.values()),
        "every replica of every partition in sync",
        timeout_s,
    )


async def wait_until(
    condition: Callable[[], bool],
    what: str,
    timeout_s: float = WAIT_S,
    *,
    watch: asyncio.Task[Any] | None = None,
) -> None:
    """Poll a local condition; fail early if the `watch`ed task (the one that makes the
    condition come true) ended with an error."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if watch is not None and watch.done():
            watch.result()  # raises the task's error
            raise AssertionError(f"the task ended before {what}")
        if loop.time() > deadline:
            raise AssertionError(f"not seen within {timeout_s:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def create_topic(bootstrap: str, name: str, partitions: int, replicas: int) -> None:
    """Create a topic outside the topic table (a test's own) and wait until it is in sync."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **AUTH)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, replicas)])
    finally:
        await admin.close()
    await wait_in_sync(bootstrap, [name])


async def high_watermarks(
    bootstrap: str, tps: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """Return each partition's high watermark: the end of what acks=all writes committed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **AUTH, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(list(tps)))
    finally:
        await consumer.stop()


async def read_all(bootstrap: str, topics: Iterable[str]) -> list[ConsumerRecord[bytes, bytes]]:
    """Read every committed record of `topics`, from the beginning to their current end."""
    async with asyncio.timeout(WAIT_S), follow(bootstrap, list(topics), until_end=True) as reader:
        return [record async for record in reader.records()]
