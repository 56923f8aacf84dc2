"""The cluster's layout on ports and on disk, checked without starting a JVM."""

from __future__ import annotations

from pathlib import Path

import pytest

from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.cluster import LocalKafkaCluster
from local_stack.kafka.cluster_layout import (
    ClusterStatus,
    NodeStatus,
    cluster_layout,
    layout_problem,
)
from local_stack.kafka.node import node_ids_on_disk
from local_stack.kafka.properties import NodeAddress


def test_nodes_take_consecutive_port_pairs_from_the_base_port() -> None:
    """Node i listens on base+2(i-1) and its controller on the next port."""
    assert cluster_layout(3, 19192) == [
        NodeAddress(1, 19192, 19193),
        NodeAddress(2, 19194, 19195),
        NodeAddress(3, 19196, 19197),
    ]
    with pytest.raises(KafkaBrokerError, match="at least one node"):
        cluster_layout(0, 19192)


def test_a_directory_runs_only_as_the_cluster_it_was_made_for() -> None:
    """A fresh directory fits any cluster; a used one only the same node ids."""
    assert layout_problem([], [1, 2, 3]) is None
    assert layout_problem([1, 2, 3], [1, 2, 3]) is None
    problem = layout_problem([1, 2, 3], [1, 2, 3, 4, 5])
    assert problem is not None and "3 node(s)" in problem and "not 5" in problem


def _configured_node(cluster_dir: Path, name: str) -> None:
    (cluster_dir / name).mkdir(parents=True)
    (cluster_dir / name / "server.properties").write_text("node.id=1\n")


def test_node_ids_on_disk_are_the_configured_node_directories(tmp_path: Path) -> None:
    """Only node-<id> directories with a server.properties count."""
    assert node_ids_on_disk(tmp_path / "missing") == []
    for name in ("node-3", "node-1", "node-10"):
        _configured_node(tmp_path, name)
    (tmp_path / "node-2").mkdir()  # never configured
    (tmp_path / "other").mkdir()
    assert node_ids_on_disk(tmp_path) == [1, 3, 10]


def test_cluster_size_comes_from_the_directory_when_not_given(tmp_path: Path) -> None:
    """`kafka stop`/`status` act on the cluster that is on disk, whatever its size."""
    settings = KafkaSettings(data_dir=tmp_path)
    assert LocalKafkaCluster.from_settings(settings).size == 3
    for i in range(1, 6):
        _configured_node(tmp_path / "kafka-cluster", f"node-{i}")
    found = LocalKafkaCluster.from_settings(settings)
    assert found.size == 5
    assert found.data_dir == (tmp_path / "kafka-cluster").resolve()
    assert found.libs_dir == (tmp_path / "kafka-libs").resolve()


def test_cluster_addresses_and_nodes(tmp_path: Path) -> None:
    """Clients get every node's address; nodes are found by their Kafka node id."""
    cluster = LocalKafkaCluster(tmp_path / "libs", tmp_path / "c", base_port=30000)
    assert cluster.bootstrap == "127.0.0.1:30000,127.0.0.1:30002,127.0.0.1:30004"
    assert cluster.node(2).data_dir == (tmp_path / "c" / "node-2").resolve()
    with pytest.raises(KafkaBrokerError, match="not 4"):
        cluster.node(4)
    with pytest.raises(KafkaBrokerError, match="two ports of its own"):
        LocalKafkaCluster(
            tmp_path / "libs",
            tmp_path / "c",
            nodes=[NodeAddress(1, 30000, 30001), NodeAddress(2, 30001, 30002)],
        )


def _node(node_id: int, *, running: bool = True, responsive: bool = True) -> NodeStatus:
    return NodeStatus(
        node_id=node_id,
        running=running,
        responsive=responsive,
        pid=100 + node_id if running else None,
        bootstrap=f"127.0.0.1:{30000 + 2 * node_id}",
        log_file=Path(f"/c/node-{node_id}/broker.log"),
    )


def test_a_cluster_is_healthy_when_every_node_answers_and_sees_every_broker() -> None:
    """Healthy needs all nodes answering and all of them reported as live brokers."""
    nodes = (_node(1), _node(2), _node(3))
    everyone = tuple(n.bootstrap for n in nodes)
    healthy = ClusterStatus(nodes, everyone, "4.4.0", Path("/c"))
    assert healthy.healthy and healthy.running
    assert healthy.bootstrap == ",".join(everyone)
    # Node 3 answers but is not (yet) a live broker, e.g. still fenced after a restart.
    assert not ClusterStatus(nodes, everyone[:2], "4.4.0", Path("/c")).healthy
    killed = (_node(1), _node(2), _node(3, running=False, responsive=False))
    assert not ClusterStatus(killed, everyone[:2], None, Path("/c")).healthy
    down = tuple(_node(i, running=False, responsive=False) for i in (1, 2, 3))
    assert not ClusterStatus(down, (), None, Path("/c")).running
