"""Start, stop and break a local Kafka cluster of N nodes (KRaft, every node broker+controller).

Each node is its own JVM with its own directory, ports and node id, and all of them are
the KRaft voters. Topics get three replicas and acks=all writes need two
(`properties.replication_properties`), so one node can die without losing a write. Fault
tests kill, stop and restart single nodes by their node id (1..N), the id Kafka reports as
a partition's leader and in its ISR.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

from events.kafka_credentials import KafkaCredentials, local_secrets_path
from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.cluster_layout import (
    ClusterStartInfo,
    ClusterStatus,
    NodeStatus,
    cluster_layout,
    layout_problem,
)
from local_stack.kafka.jvm import (
    DEFAULT_LOG_CONFIG,
    check_libs,
    find_java,
    format_storage,
    kafka_versions,
)
from local_stack.kafka.node import ClusterNode, node_ids_on_disk
from local_stack.kafka.principals import ensure_service_principal
from local_stack.kafka.probe import ClusterInfo, probe_cluster, run_sync
from local_stack.kafka.process import data_dir_lock
from local_stack.kafka.properties import NodeAddress, kafka_uuid
from local_stack.kafka.readiness import wait_answering
from local_stack.kafka.secrets import (
    LocalSecrets,
    load_or_create_secrets,
    read_secrets,
    service_password_of,
)
from local_stack.kafka.tls import prepare_tls
from local_stack.ports import LOOPBACK, port_free, tcp_open

log = structlog.get_logger(__name__)

DEFAULT_CLUSTER_SIZE = 3
# Beside the single broker's 19092/19093, so both can run at once.
DEFAULT_CLUSTER_BASE_PORT = 19192
# Three JVMs start at once on two cores; each waits for the quorum and for the others.
DEFAULT_CLUSTER_START_TIMEOUT_S = 180.0
DEFAULT_NODE_STOP_TIMEOUT_S = 30.0
# Three of these share a 2-core machine with the services under test: a small heap each
# (a node holds a few hundred small partitions at most) and the same fast-start flags as
# the single broker (see jvm.DEFAULT_BROKER_JVM_OPTS).
DEFAULT_NODE_JVM_OPTS: tuple[str, ...] = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)


class LocalKafkaCluster:
    """N local Kafka JVMs, all brokers and KRaft voters, owned by one data directory."""

    def __init__(
        self,
        libs_dir: Path,
        data_dir: Path,
        size: int = DEFAULT_CLUSTER_SIZE,
        base_port: int = DEFAULT_CLUSTER_BASE_PORT,
        *,
        nodes: Sequence[NodeAddress] | None = None,
        host: str = LOOPBACK,
        jvm_opts: Sequence[str] = DEFAULT_NODE_JVM_OPTS,
        log_config: Path | None = DEFAULT_LOG_CONFIG,
        java: str | None = None,
        extra_properties: Mapping[str, str] | None = None,
        secrets_file: Path | None = None,
        service_password: str | None = None,
        tls: bool | None = None,
    ) -> None:
        self.libs_dir = Path(libs_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        # Shared with the single broker of the same parent folder (see LocalKafka).
        self.secrets_file = secrets_file or local_secrets_path(self.data_dir.parent)
        # Unset: the password settings give the service principal, else the file's own.
        self.service_password = service_password or service_password_of(KafkaSettings())
        # Unset: BEATSTITCH_LOCAL_KAFKA_TLS.
        self.tls = KafkaSettings().local_kafka_tls if tls is None else tls
        self.host = host
        addresses = list(nodes) if nodes is not None else cluster_layout(size, base_port)
        ports = [p for a in addresses for p in (a.port, a.controller_port)]
        if len(set(ports)) != len(ports):
            raise KafkaBrokerError(f"Every node needs two ports of its own; got {ports}.")
        self.addresses = addresses
        self.nodes = [ClusterNode(host, address, self.data_dir) for address in addresses]
        self.jvm_opts = tuple(jvm_opts)
        self.log_config = log_config
        self._java = java
        self.extra_properties = dict(extra_properties or {})

    @classmethod
    def from_settings(
        cls, settings: KafkaSettings | None = None, size: int | None = None, **kwargs: Any
    ) -> LocalKafkaCluster:
        """Build the default cluster: jars in <data_dir>/kafka-libs, state in
        <data_dir>/kafka-cluster; without a size, as many nodes as that directory holds."""
        settings = settings or KafkaSettings()
        kwargs.setdefault("libs_dir", settings.data_dir / "kafka-libs")
        kwargs.setdefault("data_dir", settings.data_dir / "kafka-cluster")
        kwargs.setdefault("tls", settings.local_kafka_tls)
        if size is None:
            size = len(node_ids_on_disk(Path(kwargs["data_dir"]))) or DEFAULT_CLUSTER_SIZE
        return cls(size=size, **kwargs)

    @property
    def size(self) -> int:
        """The number of nodes."""
        return len(self.nodes)

    @property
    def bootstrap(self) -> str:
        """Every node's configured address, comma-separated, as clients take it."""
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def running_bootstrap(self) -> str:
        """Every node's address as its server.properties on disk says (the ports it was last
        started with), else as configured."""
        return ",".join(
            f"{host}:{port}" for host, port in (n.running_address() for n in self.nodes)
        )

    @property
    def kafka_version(self) -> str | None:
        """The Kafka version of the jars in libs_dir, or None if they are missing."""
        versions = kafka_versions(self.libs_dir)
        return versions[0] if len(versions) == 1 else None

    def node(self, node_id: int) -> ClusterNode:
        """Return the node with Kafka node id `node_id` (1..size)."""
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KafkaBrokerError(
            f"This cluster has nodes {[n.node_id for n in self.nodes]}, not {node_id}."
        )

    def pid(self, node_id: int) -> int | None:
        """Return the pid of a node's JVM if it runs."""
        return self.node(node_id).process.running_pid()

    # -- the whole cluster -------------------------------------------------------------

    def start(self, timeout_s: float = DEFAULT_CLUSTER_START_TIMEOUT_S) -> ClusterStartInfo:
        """Start every node that is not running and return once each node answers and
        reports all nodes as live brokers."""
        started = time.monotonic()
        deadline = started + timeout_s
        with data_dir_lock(self.data_dir):
            java = self._check_can_run()
            running = {n.node_id: n.process.running_pid() for n in self.nodes}
            pids = {node_id: pid for node_id, pid in running.items() if pid is not None}
            missing = [n for n in self.nodes if running[n.node_id] is None]
            secrets = self._secrets()
            launched = self._launch(java, missing, secrets)
            pids.update(launched)
            try:
                infos = run_sync(self._wait_all(pids, deadline, secrets.broker))
                ensure_service_principal(
                    self.running_bootstrap, secrets.broker, secrets.service, deadline
                )
            except BaseException:
                # Never leave half a cluster behind holding ports and storage locks.
                self._kill_quietly(launched)
                raise
        result = ClusterStartInfo(
            bootstrap=self.running_bootstrap,
            cluster_id=infos[0].cluster_id if infos else None,
            pids=dict(sorted(pids.items())),
            launched=tuple(sorted(launched)),
            seconds=time.monotonic() - started,
            kafka_version=self.kafka_version,
            data_dir=self.data_dir,
        )
        log.info(
            "kafka.cluster.started",
            bootstrap=result.bootstrap,
            launched=list(result.launched),
            seconds=round(result.seconds, 2),
        )
        return result

    def stop(self, timeout_s: float = DEFAULT_NODE_STOP_TIMEOUT_S) -> tuple[int, ...]:
        """Stop every running node at once (SIGTERM, then SIGKILL); return the ids stopped."""
        with data_dir_lock(self.data_dir):
            pids = {n.node_id: n.process.running_pid() for n in self.nodes}
            running = [n for n in self.nodes if pids[n.node_id] is not None]
            if not running:
                return ()

            def stop_one(node: ClusterNode) -> None:
                pid = pids[node.node_id]
                assert pid is not None
                node.process.kill(pid, timeout_s)
                node.process.forget()

            # In parallel: a node shutting down cleanly waits for the controller quorum,
            # which the other nodes' shutdowns take away one by one.
            with ThreadPoolExecutor(max_workers=len(running)) as pool:
                list(pool.map(stop_one, running))
        stopped = tuple(n.node_id for n in running)
        log.info("kafka.cluster.stopped", nodes=list(stopped))
        return stopped

    def status(self, probe_timeout_s: float = 3.0) -> ClusterStatus:
        """Report every node's process and whether it answers a metadata request."""
        statuses: list[NodeStatus] = []
        brokers: set[str] = set()
        secrets = read_secrets(self.secrets_file)
        for node in self.nodes:
            pid = node.process.running_pid()
            host, port = (
                node.running_address() if pid is not None else (self.host, node.address.port)
            )
            info = None
            if pid is not None and secrets is not None and tcp_open(host, port):
                info = _probe_quietly(f"{host}:{port}", probe_timeout_s, secrets.broker)
            if info is not None:
                brokers.update(info.brokers)
            statuses.append(
                NodeStatus(
                    node_id=node.node_id,
                    running=pid is not None,
                    responsive=info is not None,
                    pid=pid,
                    bootstrap=f"{host}:{port}",
                    log_file=node.log_file,
                )
            )
        return ClusterStatus(
            nodes=tuple(statuses),
            brokers=tuple(sorted(brokers)),
            kafka_version=self.kafka_version,
            data_dir=self.data_dir,
        )

    # -- one node (fault injection) ----------------------------------------------------

    def kill(self, node_id: int) -> int:
        """SIGKILL one node's JVM, as a crash or an OOM kill would; return its pid."""
        node = self.node(node_id)
        with data_dir_lock(self.data_dir):
            pid = self._running_pid_of(node)
            node.process.kill_now(pid)
            node.process.forget()
        log.info("kafka.cluster.node_killed", node_id=node_id, pid=pid)
        return pid

    def stop_node(self, node_id: int, timeout_s: float = DEFAULT_NODE_STOP_TIMEOUT_S) -> int:
        """Stop one node cleanly (SIGTERM: Kafka's controlled shutdown); return its pid."""
        node = self.node(node_id)
        with data_dir_lock(self.data_dir):
            pid = self._running_pid_of(node)
            node.process.kill(pid, timeout_s)
            node.process.forget()
        log.info("kafka.cluster.node_stopped", node_id=node_id, pid=pid)
        return pid

    def start_node(
        self, node_id: int, timeout_s: float = DEFAULT_CLUSTER_START_TIMEOUT_S, *, wait: bool = True
    ) -> int:
        """Start one node (if it is not running) and return its pid.

        With `wait`, return once the node answers and counts itself among the live brokers,
        which needs a controller quorum: a majority of the nodes running."""
        node = self.node(node_id)
        deadline = time.monotonic() + timeout_s
        with data_dir_lock(self.data_dir):
            java = self._check_can_run()
            pid = node.process.running_pid()
            secrets = self._secrets()
            launched = {} if pid is not None else self._launch(java, [node], secrets)
            pid = launched.get(node_id, pid)
            assert pid is not None
            if wait:
                try:
                    run_sync(self._wait_node(node, pid, deadline, secrets.broker))
                except BaseException:
                    self._kill_quietly(launched)
                    raise
        log.info("kafka.cluster.node_started", node_id=node_id, pid=pid, waited=wait)
        return pid

    # -- internals ---------------------------------------------------------------------

    def _check_can_run(self) -> str:
        """Find Java, check the jars and the directory's layout; return the java to run."""
        java = find_java(self._java)
        check_libs(self.libs_dir)
        problem = layout_problem(node_ids_on_disk(self.data_dir), [n.node_id for n in self.nodes])
        if problem:
            raise KafkaBrokerError(
                f"{self.data_dir} cannot run as this cluster: {problem}. Start it with as many "
                "brokers as it has (`--brokers N`), or delete the directory to start afresh."
            )
        return java

    def _running_pid_of(self, node: ClusterNode) -> int:
        """Return the pid of a running node, or say that it does not run."""
        pid = node.process.running_pid()
        if pid is None:
            raise KafkaBrokerError(f"Node {node.node_id} of {self.data_dir} is not running.")
        return pid

    def _cluster_id(self) -> str:
        """Return the cluster id the formatted nodes share, or a new one if none is formatted."""
        ids = {cid for node in self.nodes if (cid := node.cluster_id()) is not None}
        if len(ids) > 1:
            raise KafkaBrokerError(
                f"The nodes in {self.data_dir} were formatted for different clusters "
                f"({', '.join(sorted(ids))}). Delete the directory to start afresh."
            )
        return ids.pop() if ids else kafka_uuid()

    def _secrets(self) -> LocalSecrets:
        """The broker's and the service's passwords, made on first use."""
        return load_or_create_secrets(self.secrets_file, self.service_password)

    def _launch(
        self, java: str, nodes: Sequence[ClusterNode], secrets: LocalSecrets
    ) -> dict[int, int]:
        """Configure, format and launch nodes that are not running; return their pids."""
        if not nodes:
            return {}
        for node in nodes:
            for port in (node.address.port, node.address.controller_port):
                if not port_free(self.host, port):
                    raise KafkaBrokerError(
                        f"Port {port} on {self.host} (node {node.node_id}) is already in use by "
                        "another process. Stop it, or pick other ports (--port)."
                    )
        tls = prepare_tls(java, self.secrets_file, self.tls, secrets.broker_password)
        for node in nodes:
            node.configure(
                self.addresses,
                self.extra_properties,
                secrets.broker_password,
                tls.properties() if tls else None,
            )
        cluster_id = self._cluster_id()

        def format_one(node: ClusterNode) -> str:
            return format_storage(
                java,
                self.libs_dir,
                self.log_config,
                node.data_dir,
                node.properties_file,
                node.log_dir,
                cluster_id,
            )

        # The storage tool is a JVM of its own (about a second each): run them side by side.
        with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
            list(pool.map(format_one, nodes))
        pids = {}
        for node in nodes:
            command = node.command(java, self.jvm_opts, self.log_config, self.libs_dir)
            pids[node.node_id] = node.process.launch(command)
        return pids

    async def _wait_all(
        self, pids: Mapping[int, int], deadline: float, credentials: KafkaCredentials
    ) -> list[ClusterInfo]:
        """Wait until every node answers and reports every node as a live broker."""
        wanted = {f"{h}:{p}" for h, p in (n.running_address() for n in self.nodes)}

        def all_brokers(info: ClusterInfo) -> str | None:
            missing = wanted - set(info.brokers)
            return f"brokers {sorted(missing)} not reported yet" if missing else None

        waits = [
            wait_answering(
                node.process,
                pids[node.node_id],
                deadline,
                node.running_address(),
                node.log_dir,
                credentials,
                enough=all_brokers,
            )
            for node in self.nodes
        ]
        return list(await asyncio.gather(*waits))

    async def _wait_node(
        self, node: ClusterNode, pid: int, deadline: float, credentials: KafkaCredentials
    ) -> ClusterInfo:
        """Wait until a node answers and counts itself among the live brokers."""
        address = node.running_address()
        own = f"{address[0]}:{address[1]}"

        def registered(info: ClusterInfo) -> str | None:
            return None if own in info.brokers else f"{own} not yet a live broker"

        return await wait_answering(
            node.process, pid, deadline, address, node.log_dir, credentials, enough=registered
        )

    def _kill_quietly(self, pids: Mapping[int, int]) -> None:
        """SIGKILL nodes this call launched (start-up failed); never raise."""
        for node_id, pid in pids.items():
            node = self.node(node_id)
            try:
                node.process.kill_now(pid)
            except KafkaBrokerError:
                log.warning("kafka.cluster.kill_failed", node_id=node_id, pid=pid)
            node.process.forget()


def _probe_quietly(
    bootstrap: str, timeout_s: float, credentials: KafkaCredentials
) -> ClusterInfo | None:
    """Return what the broker at `bootstrap` says, or None if it does not answer."""
    try:
        return run_sync(probe_cluster(bootstrap, timeout_s, credentials))
    except Exception:  # any client error means "not answering" to a status report
        return None
