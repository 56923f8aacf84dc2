"""How far readers are behind: a consumer group's members and lag, and topics' end offsets."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from aiokafka.structs import TopicPartition

from events.kafka_credentials import aiokafka_options, client_credentials
from events.topic_reader import follow


@dataclass(frozen=True)
class GroupView:
    """A consumer group's live members and the records its topics hold that it has not read."""

    members: int
    lag: int


def records_behind(ends: Mapping[TopicPartition, int], read: Mapping[TopicPartition, int]) -> int:
    """Records between each partition's read position (0 where none) and its end."""
    return sum(max(0, end - read.get(tp, 0)) for tp, end in ends.items())


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
    """The next offset each partition of `topics` will write."""
    async with follow(bootstrap, topics, start="end") as reader:
        return dict(reader.end_offsets)


def worker_group(prefix: str) -> str:
    """The consumer group the workers of deployment `prefix` join (their Faust app id)."""
    return f"{prefix}-workers"


async def group_view(
    bootstrap: str, group_id: str, ends: Mapping[TopicPartition, int]
) -> GroupView:
    """Members of `group_id` and its lag on the partitions of `ends` (end_offsets; a partition
    never committed counts whole)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **aiokafka_options(client_credentials())
    )
    await admin.start()
    try:
        for attempt in range(5):
            try:
                described = await admin.describe_consumer_groups([group_id])
                committed = await admin.list_consumer_group_offsets(group_id)
                break
            except GroupCoordinatorNotAvailableError:
                # A new broker makes its offsets topic on the first group question.
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    members = sum(len(group[5]) for response in described for group in response.groups)
    read = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
    return GroupView(members=members, lag=records_behind(ends, read))
