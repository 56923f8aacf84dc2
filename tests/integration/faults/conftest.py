"""The fault suite's cluster: three Kafka nodes (each broker and KRaft controller) that tests
may kill, stop and restart.

One cluster runs for the whole session, on free ports in a temporary directory, started
by the project's own `local_stack.kafka.cluster.LocalKafkaCluster`. It is always local,
even with BEATSTITCH_KAFKA_BOOTSTRAP set: the tests kill its JVMs. Each test gets it
whole: `kafka_cluster` restarts any node an earlier test left down and waits until every
node is a live broker again.

Topics on it get three replicas and acks=all writes need two (min.insync.replicas=2):
`cluster_env` is the environment that makes our processes use it that way, and
`cluster_topic_prefix` creates a test's topics through our own code under that setting.

The cluster's methods block; call those that wait (start, start_node, stop_node, stop)
through `asyncio.to_thread` from async tests so producers and consumers keep running.

Every node is also a KRaft voter: with two of three down there is no controller, so
nothing changes in the metadata (ISRs freeze, no leader moves) and a new idempotent
producer cannot even start (its producer id comes from the controller). Start producers
before taking the quorum away.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import structlog

from events.kafka_io import ensure_topics
from events.topics import TOPIC_TABLE, physical_name
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.cluster import LocalKafkaCluster
from local_stack.kafka.properties import NodeAddress, replication_properties
from local_stack.ports import free_tcp_ports
from tests.support.cluster_state import wait_in_sync
from tests.support.kafka import KAFKA_LIBS_DIR, say_to_terminal

log = structlog.get_logger(__name__)

CLUSTER_SIZE = 3
REPLICATION_FACTOR = int(replication_properties(CLUSTER_SIZE)["default.replication.factor"])


@pytest.fixture(scope="session")
def kafka_cluster_session(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalKafkaCluster]:
    """Start the session's three-node cluster; stop it at the end."""
    ports = free_tcp_ports(2 * CLUSTER_SIZE)
    nodes = [NodeAddress(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(CLUSTER_SIZE)]
    cluster = LocalKafkaCluster(
        KAFKA_LIBS_DIR, tmp_path_factory.mktemp("kafka-cluster"), nodes=nodes
    )
    try:
        info = cluster.start()
    except KafkaBrokerError as exc:
        pytest.fail(f"The test Kafka cluster could not start: {exc}", pytrace=False)
    say_to_terminal(
        request,
        f"kafka: local cluster of {CLUSTER_SIZE} (Kafka {info.kafka_version}) at "
        f"{info.bootstrap} started in {info.seconds:.1f} s (logs: {cluster.data_dir}/node-*/)",
    )
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kafka_cluster(kafka_cluster_session: LocalKafkaCluster) -> LocalKafkaCluster:
    """The session's cluster with every node running and every node a live broker."""
    info = kafka_cluster_session.start()
    if info.launched:
        log.info("tests.kafka_cluster.restarted_nodes", nodes=list(info.launched))
    return kafka_cluster_session


@pytest.fixture
def cluster_env(kafka_cluster: LocalKafkaCluster) -> dict[str, str]:
    """The settings that point our processes at the cluster with its replication factor."""
    return {
        "BEATSTITCH_KAFKA_BOOTSTRAP": kafka_cluster.bootstrap,
        "BEATSTITCH_TOPIC_REPLICATION_FACTOR": str(REPLICATION_FACTOR),
    }


@pytest.fixture
async def cluster_topic_prefix(
    kafka_cluster: LocalKafkaCluster, cluster_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """A unique topic prefix whose topics our code created, with `cluster_env` in effect."""
    for key, value in cluster_env.items():
        monkeypatch.setenv(key, value)
    prefix = f"f{uuid.uuid4().hex[:10]}"
    # No replication factor passed: it comes from BEATSTITCH_TOPIC_REPLICATION_FACTOR, as
    # in the API and the CLI.
    await ensure_topics(kafka_cluster.bootstrap, prefix)
    await wait_in_sync(
        kafka_cluster.bootstrap, [physical_name(prefix, spec.topic) for spec in TOPIC_TABLE]
    )
    return prefix
