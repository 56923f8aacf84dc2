"""The local Kafka broker works with the Python clients BeatStitch uses (aiokafka, Faust).

These tests pin the broker/client compatibility the rest of the system relies on: topic
creation through the admin API, idempotent acks=all producing, reading by hand-assigned
partitions from a chosen offset (follow(), the product's one reader) and consumer-group
consumption with committed offsets, end offsets, auto-creation being off, and
a Faust worker joining a group and processing a message. They also exercise LocalKafka's own
lifecycle (start, already-running, status, stop, restart on formatted storage).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaTimeoutError, UnknownTopicOrPartitionError
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.structs import ConsumerRecord

from events.kafka_credentials import aiokafka_options, client_credentials
from events.topic_reader import TopicReader, follow
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.broker import LocalKafka
from local_stack.kafka.probe import check_cluster
from local_stack.kafka.properties import kafka_uuid
from local_stack.ports import free_tcp_ports
from tests.support.kafka import KAFKA_LIBS_DIR

# This session's credentials (the test brokers refuse anonymous clients).
AUTH = aiokafka_options(client_credentials())

# Generous upper bounds for waiting on a state; tests finish as soon as the state is reached.
WAIT_S = 60.0
FAUST_WAIT_S = 120.0

CreateTopic = Callable[..., Awaitable[str]]

ERROR_NONE = 0
ERROR_UNKNOWN_TOPIC_OR_PARTITION = 3
ERROR_TOPIC_ALREADY_EXISTS = 36


def _unique(prefix: str) -> str:
    """Return a topic/group name no other test (or earlier run on an external cluster) uses."""
    return f"test-{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client connected to the test cluster."""
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, **AUTH)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def create_topic(admin: AIOKafkaAdminClient) -> CreateTopic:
    """Create a uniquely named topic and return its name."""

    async def _create(prefix: str, partitions: int = 1) -> str:
        name = _unique(prefix)
        response = await admin.create_topics(
            [NewTopic(name=name, num_partitions=partitions, replication_factor=1)]
        )
        errors = {topic: code for topic, code, *_ in response.topic_errors}
        assert errors == {name: ERROR_NONE}, response
        return name

    return _create


async def _collect(consumer: AIOKafkaConsumer, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Fetch until `count` records arrived (bounded by WAIT_S)."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with asyncio.timeout(WAIT_S):
        while len(records) < count:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
    return records


async def test_create_topic_with_three_partitions(
    admin: AIOKafkaAdminClient, create_topic: CreateTopic
) -> None:
    """CreateTopics makes a 3-partition topic; a second create says it already exists."""
    name = await create_topic("three", partitions=3)

    (described,) = await admin.describe_topics([name])
    assert described["error_code"] == ERROR_NONE
    assert sorted(p["partition"] for p in described["partitions"]) == [0, 1, 2]
    assert all(p["leader"] >= 0 for p in described["partitions"])

    again = await admin.create_topics([NewTopic(name, 3, 1)])
    assert [code for _, code, *_ in again.topic_errors] == [ERROR_TOPIC_ALREADY_EXISTS]


async def test_idempotent_producer_and_manual_assign(
    kafka_bootstrap: str, create_topic: CreateTopic
) -> None:
    """acks=all + idempotence produce keyed records that follow() reads back exactly."""
    topic = await create_topic("assign", partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, **AUTH, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        sent: dict[tuple[bytes, bytes], tuple[int, int]] = {}
        for i in range(30):
            key, value = f"video-{i % 10}".encode(), f"event-{i}".encode()
            meta = await producer.send_and_wait(topic, value=value, key=key)
            sent[(key, value)] = (meta.partition, meta.offset)
    finally:
        await producer.stop()

    # The default partitioner keeps every key on one partition: per-video ordering.
    partition_of: dict[bytes, set[int]] = {}
    for (key, _), (partition, _) in sent.items():
        partition_of.setdefault(key, set()).add(partition)
    assert all(len(parts) == 1 for parts in partition_of.values())
    assert len({p for parts in partition_of.values() for p in parts}) > 1  # keys spread

    tps = [TopicPartition(topic, p) for p in range(3)]
    async with follow(kafka_bootstrap, [topic], until_end=True) as reader:
        assert reader.partitions == tps
        begin = {tp: await reader.position(tp) for tp in tps}
        end = reader.end_offsets
        records = [record async for record in reader.records()]
    assert {(r.key, r.value): (r.partition, r.offset) for r in records} == sent
    assert sum(end.values()) == len(sent)
    assert set(begin.values()) == {0}
    for tp in tps:
        produced_here = sum(1 for part, _ in sent.values() if part == tp.partition)
        assert end[tp] == produced_here

    # From an exact offset: the next record is the one produced at that offset.
    (key, value), (partition, offset) = next((kv, po) for kv, po in sent.items() if po[1] == 1)
    tp = TopicPartition(topic, partition)
    async with asyncio.timeout(WAIT_S), follow(kafka_bootstrap, [tp], start={tp: offset}) as r:
        first = await anext(r.records())
    assert (first.partition, first.offset, first.key, first.value) == (
        partition,
        offset,
        key,
        value,
    )


async def test_consumer_group_commits_offsets(
    kafka_bootstrap: str, admin: AIOKafkaAdminClient, create_topic: CreateTopic
) -> None:
    """A group consumer commits offsets; the broker stores them; a restart resumes there."""
    topic = await create_topic("group", partitions=3)
    group = _unique("group")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **AUTH, acks="all")
    await producer.start()
    try:
        for i in range(12):
            await producer.send_and_wait(topic, f"v{i}".encode(), key=f"k{i}".encode())

        def group_consumer() -> AIOKafkaConsumer:
            return AIOKafkaConsumer(
                topic,
                bootstrap_servers=kafka_bootstrap,
                **AUTH,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )

        consumer = group_consumer()
        await consumer.start()
        try:
            records = await _collect(consumer, 12)
            assert sorted(r.value for r in records) == sorted(f"v{i}".encode() for i in range(12))
            await consumer.commit()
            tps = [TopicPartition(topic, p) for p in range(3)]
            end = await consumer.end_offsets(tps)
            for tp in tps:
                assert await consumer.committed(tp) == end[tp]
        finally:
            await consumer.stop()

        # The broker (not the client) holds the offsets: ask it through the admin API.
        stored = await admin.list_consumer_group_offsets(group)
        assert {tp: meta.offset for tp, meta in stored.items()} == end

        # A new member of the group starts at the committed offsets: it sees only new data.
        await producer.send_and_wait(topic, b"after-restart", key=b"k-new")
        consumer = group_consumer()
        await consumer.start()
        try:
            (record,) = await _collect(consumer, 1)
            assert record.value == b"after-restart"
            assert record.offset == end[TopicPartition(topic, record.partition)]
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


async def test_topics_are_not_auto_created(
    kafka_bootstrap: str, admin: AIOKafkaAdminClient
) -> None:
    """Metadata requests and sends for an unknown topic must not create it."""
    missing = _unique("missing")

    # A metadata request that explicitly allows auto-creation (what Kafka clients send).
    client = AIOKafkaClient(bootstrap_servers=kafka_bootstrap, **AUTH)
    await client.bootstrap()
    try:
        node_id = client.get_random_node()
        response = await client.send(
            node_id, MetadataRequest([missing], allow_auto_topic_creation=True)
        )
        (topic_md,) = response.to_object()["topics"]
        assert topic_md["error_code"] == ERROR_UNKNOWN_TOPIC_OR_PARTITION
    finally:
        await client.close()

    # The producer gives up after request_timeout_ms instead of creating the topic.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **AUTH, request_timeout_ms=1500)
    await producer.start()
    try:
        with pytest.raises((UnknownTopicOrPartitionError, KafkaTimeoutError)):
            await producer.send_and_wait(missing, b"nobody listens")
    finally:
        await producer.stop()

    assert missing not in await admin.list_topics()


async def test_transactions_commit_and_abort(
    kafka_bootstrap: str, create_topic: CreateTopic
) -> None:
    """A transactional producer works; read_committed consumers never see aborted records."""
    # Kafka 4.x formats new clusters with transaction.version=2; aiokafka's older
    # transaction protocol must still be served (Faust's exactly_once relies on it).
    topic = await create_topic("txn")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, **AUTH, transactional_id=_unique("txn-producer")
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-1")
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-2")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        **AUTH,
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        stable_end = (await consumer.end_offsets([tp]))[tp]  # last stable offset
        values: list[bytes] = []
        async with asyncio.timeout(WAIT_S):
            while await consumer.position(tp) < stable_end:
                batch = await consumer.getmany(tp, timeout_ms=500)
                values.extend(r.value for r in batch.get(tp, []) if r.value is not None)
        assert values == [b"committed-1", b"committed-2"]
    finally:
        await consumer.stop()


FAUST_APP = textwrap.dedent(
    """
    import os

    import faust

    # The broker refuses anonymous clients: the session's service principal.
    app = faust.App(
        os.environ["SMOKE_APP_ID"],
        broker="kafka://" + os.environ["SMOKE_BOOTSTRAP"],
        broker_credentials=faust.SASLCredentials(
            username=os.environ["BEATSTITCH_KAFKA_USERNAME"],
            password=os.environ["BEATSTITCH_KAFKA_PASSWORD"],
            mechanism="SCRAM-SHA-512",
        ),
        store="memory://",
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        # Small timeouts so a single-member group joins and leaves quickly.
        broker_rebalance_timeout=10,
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
    )
    source = app.topic(
        os.environ["SMOKE_IN"], key_serializer="raw", value_serializer="raw"
    )
    sink = app.topic(os.environ["SMOKE_OUT"], key_serializer="raw", value_serializer="raw")
    # A table, like the write side's state: Faust must create its changelog topic itself.
    seen = app.Table("seen", default=int, partitions=1)


    @app.agent(source)
    async def process(stream):
        async for key, value in stream.items():
            seen[key.decode()] += 1
            count = seen[key.decode()]
            await sink.send(key=key, value=b"processed:%s:%d" % (value, count))


    if __name__ == "__main__":
        app.main()
    """
)


async def _first_record(reader: TopicReader) -> ConsumerRecord[bytes, bytes]:
    """Return the first record the reader hands out (no deadline; the caller bounds it)."""
    return await anext(reader.records())


async def test_faust_worker_processes_a_message(
    kafka_bootstrap: str,
    admin: AIOKafkaAdminClient,
    create_topic: CreateTopic,
    tmp_path: Path,
) -> None:
    """A faust-streaming worker joins its group, runs an agent with a table, forwards a message."""
    source = await create_topic("faust-in")
    sink = await create_topic("faust-out")
    app_id = _unique("faust-app")

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **AUTH, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(source, b"hello", key=b"video-1")
    finally:
        await producer.stop()

    script = tmp_path / "smoke_app.py"
    script.write_text(FAUST_APP, encoding="utf-8")
    worker_log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "SMOKE_APP_ID": app_id,
        "SMOKE_BOOTSTRAP": kafka_bootstrap,
        "SMOKE_IN": source,
        "SMOKE_OUT": sink,
        "PYTHONUNBUFFERED": "1",
    }
    with worker_log.open("wb") as log_out:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            "worker",
            "--loglevel=INFO",
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_out,
            stderr=asyncio.subprocess.STDOUT,
        )

    def worker_output() -> str:
        return worker_log.read_text(encoding="utf-8", errors="replace")[-6000:]

    try:
        # The sink is read from its beginning, so the reader may open after the worker starts.
        async with follow(kafka_bootstrap, [sink]) as sink_reader:
            record_task = asyncio.ensure_future(_first_record(sink_reader))
            exited_task = asyncio.ensure_future(worker.wait())
            done, _ = await asyncio.wait(
                {record_task, exited_task},
                timeout=FAUST_WAIT_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if record_task not in done:
                record_task.cancel()
                state = "exited" if exited_task in done else "produced nothing in time"
                pytest.fail(f"Faust worker {state}; its output:\n{worker_output()}")
            exited_task.cancel()
            record = record_task.result()
        assert (record.key, record.value) == (b"video-1", b"processed:hello:1")
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(worker.wait(), WAIT_S)
            except TimeoutError:
                worker.kill()
                await worker.wait()

    # Faust created its internal topics (the assignor's leader topic and the table's
    # changelog) through the admin API, since the broker never auto-creates topics.
    topics = await admin.list_topics()
    assert {f"{app_id}-__assignor-__leader", f"{app_id}-seen-changelog"} <= set(topics)
    assert "Traceback" not in worker_output(), worker_output()


@pytest.mark.slow  # starts two more brokers (~8-10 s on 2 cores)
@pytest.mark.skipif(
    not any(KAFKA_LIBS_DIR.glob("kafka_2.13-*.jar")),
    reason="needs the Kafka jars from `make install`",
)
def test_local_kafka_lifecycle(tmp_path: Path) -> None:
    """start → already running → status → stop → restart on the formatted storage."""
    port, controller_port = free_tcp_ports(2)
    broker = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port, controller_port)
    first = broker.start()
    try:
        assert first.bootstrap == f"127.0.0.1:{port}"
        assert not first.already_running
        assert broker.pid_file.read_text().strip() == str(first.pid)

        # A second LocalKafka on the same data dir (a second CLI call) finds it running.
        again = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port, controller_port).start()
        assert again.already_running and again.pid == first.pid

        state = broker.status()
        assert state.running and state.responsive and state.pid == first.pid
        assert check_cluster(first.bootstrap, credentials=client_credentials()).cluster_id == (
            first.cluster_id
        )
    finally:
        assert broker.stop()
    assert not broker.pid_file.exists()
    assert not broker.status().running
    assert not broker.stop()  # stopping twice is fine

    # Restart reuses the formatted storage (same cluster id), even on new ports.
    port2, controller_port2 = free_tcp_ports(2)
    restarted = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port2, controller_port2)
    second = restarted.start()
    try:
        assert second.cluster_id == first.cluster_id
        assert second.bootstrap == f"127.0.0.1:{port2}"
    finally:
        restarted.stop()
    assert (tmp_path / "kafka" / "broker.log.1").exists()  # previous run's log kept


def test_missing_jars_and_java_are_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without jars (or with mixed versions) start() says what to run instead of crashing."""
    broker = LocalKafka(tmp_path / "no-libs", tmp_path / "kafka")
    with pytest.raises(KafkaBrokerError, match="make install"):
        broker.start()

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for version in ("4.0.0", "4.1.0"):
        (mixed / f"kafka_2.13-{version}.jar").touch()
    with pytest.raises(KafkaBrokerError, match="several Kafka versions"):
        LocalKafka(mixed, tmp_path / "kafka").start()

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KafkaBrokerError, match="Java was not found"):
        LocalKafka(mixed, tmp_path / "kafka").start()


def test_kafka_uuid_has_kafkas_text_form() -> None:
    """Cluster ids are 22 URL-safe base64 chars and never start with '-'."""
    for _ in range(200):
        value = kafka_uuid()
        assert len(value) == 22 and not value.startswith("-")
        assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
