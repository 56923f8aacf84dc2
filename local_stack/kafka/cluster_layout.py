"""A local cluster's shape and what it reports: node ids and ports, whether a directory
can run as a given set of nodes, and the start and status records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from local_stack.errors import KafkaBrokerError
from local_stack.kafka.properties import NodeAddress


def cluster_layout(size: int, base_port: int) -> list[NodeAddress]:
    """Return node ids 1..size with ports base, base+1 (node 1), base+2, base+3 (node 2), ..."""
    if size < 1:
        raise KafkaBrokerError(f"A cluster needs at least one node, not {size}.")
    return [
        NodeAddress(node_id=i + 1, port=base_port + 2 * i, controller_port=base_port + 2 * i + 1)
        for i in range(size)
    ]


def layout_problem(configured: Sequence[int], wanted: Sequence[int]) -> str | None:
    """Say why a cluster directory holding nodes `configured` cannot run as nodes `wanted`."""
    if not configured or list(configured) == list(wanted):
        return None
    # With a static voter set every node's configuration names all voters: a cluster made
    # of three nodes cannot silently become one of five (or one) on the same storage.
    return (
        f"it holds a cluster of {len(configured)} node(s) (ids "
        f"{', '.join(map(str, configured))}), not {len(wanted)}"
    )


@dataclass(frozen=True)
class ClusterStartInfo:
    """What start() found or did: the nodes' addresses and pids, and how long it took."""

    bootstrap: str
    cluster_id: str | None
    pids: Mapping[int, int]
    launched: tuple[int, ...]
    seconds: float
    kafka_version: str | None
    data_dir: Path

    @property
    def already_running(self) -> bool:
        """True if every node was running before start() was called."""
        return not self.launched


@dataclass(frozen=True)
class NodeStatus:
    """Whether one node's JVM is alive and answers Kafka requests."""

    node_id: int
    running: bool
    responsive: bool
    pid: int | None
    bootstrap: str
    log_file: Path


@dataclass(frozen=True)
class ClusterStatus:
    """Every node's status, and the brokers the answering nodes report as alive."""

    nodes: tuple[NodeStatus, ...]
    brokers: tuple[str, ...]
    kafka_version: str | None
    data_dir: Path

    @property
    def bootstrap(self) -> str:
        """Every node's address, comma-separated, as clients take it."""
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def running(self) -> bool:
        """True if at least one node's JVM is alive."""
        return any(node.running for node in self.nodes)

    @property
    def healthy(self) -> bool:
        """True if every node answers and reports every node as a live broker."""
        addresses = {node.bootstrap for node in self.nodes}
        return all(node.responsive for node in self.nodes) and addresses <= set(self.brokers)
