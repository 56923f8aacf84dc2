"""One node of a local Kafka cluster: its ports, its directory, its configuration and its JVM.

A node's directory is `<cluster dir>/node-<id>` and holds what a single broker's directory
holds: server.properties, broker.pid, broker.log and the Kafka log in `log/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from local_stack.kafka.jvm import BROKER_MAIN_CLASS, java_command
from local_stack.kafka.process import BrokerProcess
from local_stack.kafka.properties import (
    NodeAddress,
    advertised_address,
    cluster_id_on_disk,
    node_properties,
    write_properties,
)

_NODE_DIR = re.compile(r"^node-(?P<id>[1-9][0-9]*)$")


def node_dir_name(node_id: int) -> str:
    """Return the name of a node's directory inside the cluster's data directory."""
    return f"node-{node_id}"


def node_ids_on_disk(cluster_dir: Path) -> list[int]:
    """Return the ids of the nodes configured in cluster_dir (those with a server.properties)."""
    if not cluster_dir.is_dir():
        return []
    ids = []
    for entry in cluster_dir.iterdir():
        match = _NODE_DIR.match(entry.name)
        if match and (entry / "server.properties").is_file():
            ids.append(int(match.group("id")))
    return sorted(ids)


class ClusterNode:
    """A combined broker+controller node: where it listens, where it keeps its state."""

    def __init__(self, host: str, address: NodeAddress, cluster_dir: Path) -> None:
        self.host = host
        self.address = address
        self.data_dir = cluster_dir / node_dir_name(address.node_id)
        self.process = BrokerProcess(self.data_dir, self.properties_file)

    @property
    def node_id(self) -> int:
        """The node's Kafka node.id (1-based; also the broker id in metadata and ISRs)."""
        return self.address.node_id

    @property
    def bootstrap(self) -> str:
        """host:port of the node's PLAINTEXT listener as configured for the next start."""
        return f"{self.host}:{self.address.port}"

    @property
    def properties_file(self) -> Path:
        """The server.properties written on every start of this node."""
        return self.data_dir / "server.properties"

    @property
    def log_dir(self) -> Path:
        """Kafka's log.dirs for this node: its partitions and its copy of the metadata log."""
        return self.data_dir / "log"

    @property
    def log_file(self) -> Path:
        """The node's JVM output and Kafka's log4j output."""
        return self.process.log_file

    def cluster_id(self) -> str | None:
        """Return the cluster id this node's storage was formatted with, if it was."""
        return cluster_id_on_disk(self.log_dir)

    def running_address(self) -> tuple[str, int]:
        """Return where the node listens according to its server.properties on disk.

        A running node may have been started with other ports than this object was given."""
        return advertised_address(self.properties_file) or (self.host, self.address.port)

    def configure(
        self,
        voters: Sequence[NodeAddress],
        extra: Mapping[str, str],
        broker_password: str,
        tls: Mapping[str, str] | None = None,
    ) -> None:
        """Create the node's directories and write its server.properties."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        props = node_properties(
            self.host, self.address, voters, self.log_dir, extra, broker_password, tls
        )
        write_properties(self.properties_file, props)

    def command(
        self, java: str, jvm_opts: Sequence[str], log_config: Path | None, libs: Path
    ) -> list[str]:
        """Return the command line that runs this node's JVM."""
        return java_command(
            java,
            jvm_opts,
            log_config,
            libs,
            BROKER_MAIN_CLASS,
            str(self.properties_file),
            defines=(f"-Dkafka.logs.dir={self.data_dir}",),
        )
