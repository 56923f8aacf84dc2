"""The edge between the catalog and a Kafka cluster: topic creation and event production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaConnectionError,
    NodeNotReadyError,
    RequestTimedOutError,
    TopicAlreadyExistsError,
)
from aiokafka.structs import RecordMetadata, TopicPartition

from events.base import Envelope
from events.codec import encode
from events.dead_letter import DeadLetter
from events.kafka_credentials import aiokafka_options, client_credentials
from events.settings import KafkaSettings
from events.topics import TOPIC_TABLE, Topic, TopicSpec, physical_name


def new_topics(prefix: str, replication_factor: int, table: Iterable[TopicSpec]) -> list[Any]:
    """Return the admin-client topic definitions of a topic table."""
    return [
        NewTopic(
            name=physical_name(prefix, spec.topic),
            num_partitions=spec.partitions,
            replication_factor=replication_factor,
            # The log is the source of truth (replay, audit), so nothing is ever deleted.
            topic_configs={"cleanup.policy": "compact"}
            if spec.compacted
            else {"cleanup.policy": "delete", "retention.ms": "-1"},
        )
        for spec in table
    ]


async def ensure_topics(
    bootstrap: str,
    prefix: str,
    replication_factor: int | None = None,
    table: Sequence[TopicSpec] = TOPIC_TABLE,
) -> list[str]:
    """Create the table's topics that are missing; return the names created.

    The replication factor defaults to BEATSTITCH_TOPIC_REPLICATION_FACTOR (1)."""
    if replication_factor is None:
        replication_factor = KafkaSettings().topic_replication_factor
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **aiokafka_options(client_credentials())
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        defined = new_topics(prefix, replication_factor, table)
        wanted = [t for t in defined if t.name not in existing]
        if not wanted:
            return []
        # Another process may create them first; that is the state we want.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(wanted)
        await _wait_for_metadata(admin, [t.name for t in wanted])
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def _wait_for_metadata(admin: Any, names: list[str], timeout_s: float = 30.0) -> None:
    # Creation is asynchronous on the broker; wait until every partition has a leader.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        described = await _describe(admin, names, timeout_s)
        ready = all(
            d.get("error_code", 0) == 0
            and d.get("partitions")
            and all(p.get("leader", -1) >= 0 for p in d["partitions"])
            for d in described
        )
        if ready:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topics not ready after {timeout_s} s: {names}")
        await asyncio.sleep(0.05)


async def _describe(admin: Any, names: list[str], timeout_s: float = 30.0) -> Any:
    # The admin client asks one node at random; a node that just died can still be in its
    # metadata, so a refused request is asked again (of another node, likely) for a while.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            return await admin.describe_topics(names)
        except (NodeNotReadyError, KafkaConnectionError, RequestTimedOutError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def partitions_of(bootstrap: str, names: Sequence[str]) -> list[TopicPartition]:
    """Return every partition of the named topics that exist, in name and partition order."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **aiokafka_options(client_credentials())
    )
    await admin.start()
    try:
        described = await _describe(admin, list(names))
    finally:
        await admin.close()
    found = {d["topic"]: d for d in described if d.get("error_code", 0) == 0}
    return [
        TopicPartition(name, p["partition"])
        for name in names
        if name in found
        for p in sorted(found[name]["partitions"], key=lambda p: p["partition"])
    ]


def event_headers(envelope: Envelope[Any]) -> list[tuple[str, bytes]]:
    """Headers that let a consumer filter without parsing the value."""
    return [
        ("event_type", envelope.type.encode()),
        ("event_version", str(envelope.version).encode()),
        ("trace_id", envelope.trace_id.encode()),
    ]


# The broker's default message.max.bytes is 1 MiB; envelopes over this are refused before
# producing, with room left for headers and the record batch around one message.
MAX_EVENT_BYTES = 900_000


class EventTooLarge(ValueError):
    """An event that no Kafka message here can hold; nothing was produced."""

    def __init__(self, envelope: Envelope[Any], size: int, limit: int) -> None:
        super().__init__(
            f"the {envelope.type} event of {envelope.key} is {size:,} bytes, over the "
            f"{limit:,} bytes a Kafka message may hold here; nothing was produced"
        )
        self.size = size


class EventProducer:
    """Produces envelopes to the topic their payload belongs to, keyed as the table says."""

    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        client_id: str = "beatstitch",
        max_event_bytes: int = MAX_EVENT_BYTES,
    ) -> None:
        self.prefix = prefix
        self.max_event_bytes = max_event_bytes
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            **aiokafka_options(client_credentials()),
            enable_idempotence=True,
            linger_ms=5,
        )

    async def start(self) -> None:
        """Connect to the cluster."""
        await self._producer.start()

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""
        await self._producer.stop()

    async def stop_within(self, grace_s: float) -> None:
        """Stop, flushing for at most `grace_s`; then drop what is still pending.

        An idempotent producer never gives up a batch by itself (it retries until a broker
        takes it), so a plain stop can wait for ever on a leader that is gone."""
        try:
            async with asyncio.timeout(grace_s):
                await self._producer.stop()
                return
        except TimeoutError:
            pass
        sender = self._producer._sender
        if sender is not None:
            await sender.close()  # cancels the routine that retries the pending batches
        await self._producer.client.close()

    async def __aenter__(self) -> EventProducer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def topic_name(self, topic: Topic) -> str:
        """Return the physical name of a logical topic."""
        return physical_name(self.prefix, topic)

    async def send(self, envelope: Envelope[Any]) -> RecordMetadata:
        """Produce one event and wait until the broker has it."""
        return (await self.send_many([envelope]))[0]

    async def send_many(self, envelopes: Iterable[Envelope[Any]]) -> list[RecordMetadata]:
        """Produce events in order, batched, and wait until the broker has all of them.

        Sizes are checked first: if one event is too large (EventTooLarge), none is produced."""
        encoded = [(env, encode(env)) for env in envelopes]
        for env, value in encoded:
            if len(value) > self.max_event_bytes:
                raise EventTooLarge(env, len(value), self.max_event_bytes)
        futures = [
            await self._producer.send(
                self.topic_name(env.payload.topic),
                value=value,
                key=env.key.encode(),
                headers=event_headers(env),
            )
            for env, value in encoded
        ]
        return list(await asyncio.gather(*futures))

    async def send_dead_letter(self, letter: DeadLetter) -> RecordMetadata:
        """Produce a dead-letter record, keyed by the topic the message came from."""
        return await self._producer.send_and_wait(
            self.topic_name(Topic.DEAD_LETTER),
            value=letter.model_dump_json().encode(),
            key=letter.original_topic.encode(),
        )

    async def send_raw(
        self, topic_name: str, value: bytes | None, key: bytes | None = None
    ) -> RecordMetadata:
        """Produce raw bytes (dead letters, or tests that need a malformed message)."""
        return await self._producer.send_and_wait(topic_name, value=value, key=key)


__all__ = [
    "MAX_EVENT_BYTES",
    "EventProducer",
    "EventTooLarge",
    "ensure_topics",
    "event_headers",
    "new_topics",
    "partitions_of",
]
