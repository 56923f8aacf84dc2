"""The fault suite's cluster does what the suite relies on.

Topics our code creates have three replicas and acks=all writes need two; our producer
(acks=all, idempotent) keeps writing while a node is SIGKILLed, and the node comes back
and catches up. With two nodes down no write is acknowledged: a node SIGKILLed and
another stopped cleanly leave one copy and the broker refuses writes
(NotEnoughReplicas); two nodes SIGKILLed also take the KRaft quorum, so nothing changes
in the metadata and writes wait. In both cases our producer does not fail, it retries,
and its write lands exactly once when a second node is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import NotEnoughReplicasError

from events.kafka_credentials import aiokafka_options, client_credentials
from events.kafka_io import EventProducer
from events.topics import TOPIC_TABLE, Topic, physical_name
from local_stack.kafka.cluster import LocalKafkaCluster
from tests.support.cluster_state import (
    WAIT_S,
    PartitionState,
    create_topic,
    describe_partitions,
    high_watermarks,
    read_all,
    wait_for_partitions,
    wait_in_sync,
    wait_until,
)

# This session's credentials (the test brokers refuse anonymous clients).
AUTH = aiokafka_options(client_credentials())

NODES = {1, 2, 3}
# A plain producer's request timeout in the refusal test: it gives up after this long.
PLAIN_TIMEOUT_MS = 3000
# aiokafka logs each refused produce it retries here.
AIOKAFKA_SENDER = "aiokafka.producer.sender"


async def _configs(bootstrap: str, resource: ConfigResource) -> dict[str, str]:
    """Return the effective configuration of one topic or broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **AUTH)
    await admin.start()
    try:
        (response,) = await admin.describe_configs([resource])
    finally:
        await admin.close()
    (entry,) = response.to_object()["resources"]
    assert entry["error_code"] == 0, entry
    return {c["config_names"]: c["config_value"] for c in entry["config_entries"]}


async def test_our_topics_have_three_replicas_and_acks_all_needs_two(
    kafka_cluster: LocalKafkaCluster, cluster_topic_prefix: str
) -> None:
    """ensure_topics under BEATSTITCH_TOPIC_REPLICATION_FACTOR=3 spreads every partition
    over the three nodes; the brokers require two in-sync copies for acks=all."""
    bootstrap = kafka_cluster.bootstrap
    names = [physical_name(cluster_topic_prefix, spec.topic) for spec in TOPIC_TABLE]
    parts = await describe_partitions(bootstrap, names)

    assert len(parts) == sum(spec.partitions for spec in TOPIC_TABLE)
    assert all(set(p.replicas) == NODES and set(p.isr) == NODES for p in parts.values())
    assert {p.leader for p in parts.values()} == NODES  # leadership is spread too

    topic = await _configs(bootstrap, ConfigResource(ConfigResourceType.TOPIC, names[0]))
    assert topic["min.insync.replicas"] == "2"
    broker = await _configs(bootstrap, ConfigResource(ConfigResourceType.BROKER, "1"))
    assert broker["default.replication.factor"] == "3"
    assert broker["offsets.topic.replication.factor"] == "3"
    assert broker["transaction.state.log.replication.factor"] == "3"
    assert broker["transaction.state.log.min.isr"] == "2"
    assert broker["auto.create.topics.enable"] == "false"

    state = kafka_cluster.status()
    assert state.healthy and len(state.brokers) == 3


# 19 s on a quiet 2-core machine, 33 s beside three other test runs: a fencing (6 s), a
# node's restart and catch-up.
@pytest.mark.slow
async def test_producing_goes_on_while_a_node_is_killed_and_it_catches_up(
    kafka_cluster: LocalKafkaCluster, cluster_topic_prefix: str
) -> None:
    """acks=all keeps being acknowledged with one node SIGKILLed; every acknowledged record
    is in the log exactly once; the node comes back and rejoins every ISR."""
    bootstrap = kafka_cluster.bootstrap
    topic = physical_name(cluster_topic_prefix, Topic.CLIP_TASKS)  # six partitions
    acked: list[float] = []
    stop = asyncio.Event()

    async with EventProducer(bootstrap, cluster_topic_prefix) as producer:

        async def produce() -> None:
            while not stop.is_set():
                n = len(acked)
                await producer.send_raw(topic, str(n).encode(), key=f"video-{n % 12}".encode())
                acked.append(time.monotonic())
                await asyncio.sleep(0.02)  # pacing (~50 records/s), not a wait for a state

        task = asyncio.create_task(produce())
        await wait_until(lambda: len(acked) >= 20, "20 records acknowledged", watch=task)
        before = await describe_partitions(bootstrap, [topic])
        victim = before[TopicPartition(topic, 0)].leader
        kafka_cluster.kill(victim)
        killed_at, acked_at_kill = time.monotonic(), len(acked)

        # Its partitions get new leaders and it leaves every ISR (the controller fences it).
        await wait_for_partitions(
            bootstrap,
            [topic],
            lambda parts: all(p.leader != victim and victim not in p.isr for p in parts.values()),
            f"node {victim} out of every leadership and ISR",
        )
        await wait_until(
            lambda: len(acked) >= acked_at_kill + 50, "50 records acked on two nodes", watch=task
        )
        await asyncio.to_thread(kafka_cluster.start_node, victim)
        await wait_in_sync(bootstrap, [topic])
        acked_back = len(acked)
        await wait_until(lambda: len(acked) >= acked_back + 20, "records acked after", watch=task)
        stop.set()
        await task

    values = sorted(int(r.value) for r in await read_all(bootstrap, [topic]) if r.value)
    assert values == list(range(len(acked)))  # nothing lost, nothing twice
    pauses = [b - a for a, b in zip(acked, acked[1:], strict=False) if b >= killed_at]
    logging.getLogger(__name__).info("longest pause after the kill: %.1f s", max(pauses))


# 17 s quiet, 32 s busy: a fencing, a clean shutdown, the refusal's timeout, a restart.
@pytest.mark.slow
async def test_one_copy_left_refuses_acks_all_and_our_producer_waits_for_a_second(
    kafka_cluster: LocalKafkaCluster, caplog: pytest.LogCaptureFixture
) -> None:
    """A node SIGKILLed (fenced, out of the ISR) and another stopped cleanly (the controller
    takes it out of the ISR before the quorum goes) leave the leader alone in the ISR:
    acks=all is refused with NotEnoughReplicas. Our idempotent producer retries instead of
    failing; its record lands once, when a second node is back in the ISR."""
    bootstrap = kafka_cluster.bootstrap
    topic = f"faults-refuse-{uuid.uuid4().hex[:8]}"
    await create_topic(bootstrap, topic, partitions=1, replicas=3)
    tp = TopicPartition(topic, 0)
    leader = (await describe_partitions(bootstrap, [topic]))[tp].leader
    crashed, stopped = sorted(NODES - {leader})

    # Started while the quorum stands: a new idempotent producer needs a producer id,
    # which a broker gets from the controller, so it could not start on a lone node.
    async with EventProducer(bootstrap, "unused") as producer:
        kafka_cluster.kill(crashed)
        await _wait_isr(bootstrap, tp, {leader, stopped})
        await asyncio.to_thread(kafka_cluster.stop_node, stopped)
        await _wait_isr(bootstrap, tp, {leader})

        await _plain_acks_all_is_refused(bootstrap, topic)

        caplog.clear()
        caplog.set_level(logging.WARNING, logger=AIOKAFKA_SENDER)
        pending = asyncio.create_task(producer.send_raw(topic, b"kept", key=b"k"))
        await wait_until(
            lambda: any("NotEnoughReplicas" in r.getMessage() for r in caplog.records),
            "our producer refused once and retrying",
            watch=pending,
        )
        assert not pending.done()
        await asyncio.to_thread(kafka_cluster.start_node, crashed)
        metadata = await asyncio.wait_for(pending, WAIT_S)
    assert metadata.offset == 0
    assert [r.value for r in await read_all(bootstrap, [topic])] == [b"kept"]


async def test_two_nodes_killed_hold_acks_all_writes_until_one_returns(
    kafka_cluster: LocalKafkaCluster,
) -> None:
    """Two of three nodes SIGKILLed take the KRaft quorum with them: the ISR cannot shrink,
    so the leader appends a write but never commits it. Our producer waits (it does not
    fail) and its record is committed exactly once when one node returns."""
    bootstrap = kafka_cluster.bootstrap
    topic = f"faults-quorum-{uuid.uuid4().hex[:8]}"
    await create_topic(bootstrap, topic, partitions=1, replicas=3)
    tp = TopicPartition(topic, 0)

    async with EventProducer(bootstrap, "unused") as producer:
        await producer.send_raw(topic, b"before", key=b"k")
        leader = (await describe_partitions(bootstrap, [topic]))[tp].leader
        segment = kafka_cluster.node(leader).log_dir / f"{topic}-0" / "00000000000000000000.log"
        size = segment.stat().st_size
        for node_id in sorted(NODES - {leader}):
            kafka_cluster.kill(node_id)

        pending = asyncio.create_task(producer.send_raw(topic, b"while-two-down", key=b"k"))
        await wait_until(lambda: segment.stat().st_size > size, "the leader appended the record")
        # Appended on the leader alone, so not committed: the high watermark stays at 1.
        leader_address = kafka_cluster.node(leader).bootstrap
        assert await high_watermarks(leader_address, [tp]) == {tp: 1}
        assert not pending.done()

        await asyncio.to_thread(kafka_cluster.start_node, min(NODES - {leader}))
        metadata = await asyncio.wait_for(pending, WAIT_S)
    assert metadata.offset == 1
    assert [r.value for r in await read_all(bootstrap, [topic])] == [b"before", b"while-two-down"]


async def _plain_acks_all_is_refused(bootstrap: str, topic: str) -> None:
    """A producer without idempotence gives up at its timeout with NotEnoughReplicas."""
    plain = AIOKafkaProducer(
        bootstrap_servers=bootstrap, **AUTH, acks="all", request_timeout_ms=PLAIN_TIMEOUT_MS
    )
    await plain.start()
    try:
        started = time.monotonic()
        with pytest.raises(NotEnoughReplicasError):
            await plain.send_and_wait(topic, b"refused")
        assert time.monotonic() - started < PLAIN_TIMEOUT_MS / 1000 + 5
    finally:
        await plain.stop()


async def _wait_isr(bootstrap: str, tp: TopicPartition, isr: set[int]) -> PartitionState:
    """Wait until the partition's ISR is exactly `isr`; return its state."""
    parts = await wait_for_partitions(
        bootstrap,
        [tp.topic],
        lambda parts: set(parts[tp].isr) == isr,
        f"ISR of {tp.topic}-{tp.partition} == {sorted(isr)}",
    )
    return parts[tp]
