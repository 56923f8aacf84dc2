"""The broker's configuration files: server.properties (written) and meta.properties (read)."""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_CLIENT_LISTENER = re.compile(r"(?:SASL_)?(?:PLAINTEXT|SSL)://(?P<host>[^:]+):(?P<port>\d+)")

STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


@dataclass(frozen=True)
class NodeAddress:
    """Where one KRaft node listens: its node id, client (PLAINTEXT) port and controller port."""

    node_id: int
    port: int
    controller_port: int


def quorum_voters(host: str, nodes: Sequence[NodeAddress]) -> str:
    """Return controller.quorum.voters for nodes that are all controllers on one host."""
    return ",".join(f"{n.node_id}@{host}:{n.controller_port}" for n in nodes)


def replication_properties(brokers: int) -> dict[str, str]:
    """Return the replication settings of a cluster of `brokers` brokers.

    Three copies where there are three brokers, and writes with acks=all need two of them
    (min.insync.replicas=2), so one broker can die without losing or refusing a write."""
    if brokers < 1:
        raise ValueError(f"a cluster needs at least one broker, not {brokers}")
    replicas = str(min(brokers, 3))
    min_isr = str(max(1, min(brokers, 3) - 1))
    return {
        "default.replication.factor": replicas,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": min_isr,
    }


def failure_detection_properties(brokers: int) -> dict[str, str]:
    """Return how fast a cluster of `brokers` notices a dead broker (nothing for one broker).

    Until the controller fences a dead broker (broker.session.timeout.ms, 9 s by default)
    it stays in every ISR, and acks=all writes to its partitions wait. Shorter than
    Kafka's defaults so fault tests move on quickly, yet several heartbeats long, so a
    broker starved of CPU on a busy 2-core machine is not fenced by mistake."""
    if brokers <= 1:
        return {}
    return {
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "6000",
        "replica.lag.time.max.ms": "10000",
    }


def idle_properties(brokers: int) -> dict[str, str]:
    """Return what keeps a lone broker cheap while nothing happens (nothing for a cluster).

    Its controller appends a no-op record to the metadata log every 500 ms by default, so
    followers can tell they are caught up; alone there is nobody to tell. Every 5 s halves
    the idle broker's CPU on the 2-core target (0.136 → 0.065 CPU seconds per second,
    measured, bench/pipeline.py prints the stack's idle figure)."""
    if brokers > 1:
        return {}
    return {"metadata.max.idle.interval.ms": "5000"}


def client_listener(tls: Mapping[str, str] | None) -> str:
    """The client listener's name and protocol: SASL_SSL with TLS, else SASL_PLAINTEXT."""
    return "SASL_SSL" if tls else "SASL_PLAINTEXT"


def security_properties(
    broker_password: str, tls: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the listeners' authentication and the authorizer: nobody is anonymous.

    Clients use SCRAM-SHA-512 on the client listener; the broker itself (inter-broker,
    controller traffic, our launcher) uses PLAIN as `broker`, whose password is here, so the
    cluster needs no SCRAM credential before it can start. Without an ACL, nothing is
    allowed; `broker` and `service` are super users. With `tls` (the ssl.* settings), the
    client listener speaks TLS; the controller listener stays on loopback without it."""
    client = client_listener(tls)
    name = client.lower()
    plain = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="broker" password="{broker_password}" user_broker="{broker_password}";'
    )
    return {
        "listener.security.protocol.map": f"{client}:{client},CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name": client,
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "sasl.mechanism.controller.protocol": "PLAIN",
        f"listener.name.{name}.sasl.enabled.mechanisms": "SCRAM-SHA-512,PLAIN",
        f"listener.name.{name}.plain.sasl.jaas.config": plain,
        f"listener.name.{name}.scram-sha-512.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": plain,
        "authorizer.class.name": STANDARD_AUTHORIZER,
        "super.users": "User:broker;User:service",
        "allow.everyone.if.no.acl.found": "false",
        **(tls or {}),
    }


def server_properties(
    host: str,
    port: int,
    controller_port: int,
    log_dir: Path,
    extra: Mapping[str, str],
    broker_password: str,
    tls: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the configuration of one broker that is also the KRaft controller."""
    node = NodeAddress(node_id=1, port=port, controller_port=controller_port)
    return node_properties(host, node, [node], log_dir, extra, broker_password, tls)


def node_properties(
    host: str,
    node: NodeAddress,
    voters: Sequence[NodeAddress],
    log_dir: Path,
    extra: Mapping[str, str],
    broker_password: str,
    tls: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the configuration of one combined broker+controller node among `voters`.

    Every node of the cluster is a voter, so the replication settings follow their count."""
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        # A static voter set (not `format --standalone` or `--initial-controllers`): the
        # voters then come from this file on every start instead of being frozen in the
        # metadata log, so the ports can change between runs of the same data dir.
        "controller.quorum.voters": quorum_voters(host, voters),
        "listeners": (
            f"{client_listener(tls)}://{host}:{node.port},"
            f"CONTROLLER://{host}:{node.controller_port}"
        ),
        "advertised.listeners": f"{client_listener(tls)}://{host}:{node.port}",
        "controller.listener.names": "CONTROLLER",
        **security_properties(broker_password, tls),
        "log.dirs": str(log_dir),
        # Topics come from the event catalog with explicit partition counts; a typo'd
        # topic must fail loudly rather than appear with the default layout.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        **replication_properties(len(voters)),
        **failure_detection_properties(len(voters)),
        **idle_properties(len(voters)),
        # 50 partitions each by default; creating them on the first group join or
        # transaction costs seconds on 2 cores and buys nothing locally.
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.num.partitions": "8",
        # Single-member groups (tests, one worker) should not wait 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        # The log is the source of truth (read models are rebuilt from it), so the
        # local broker keeps events forever; small segments keep disk use modest.
        "log.retention.ms": "-1",
        "log.segment.bytes": str(16 * 1024 * 1024),
        "log.index.size.max.bytes": str(1024 * 1024),
        # The cleaner (for compacted topics) allocates this buffer up front: 128 MiB by
        # default, too much for a small heap.
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
    }
    props.update(extra)
    return props


def write_properties(path: Path, props: Mapping[str, str]) -> None:
    """Write server.properties (ports may differ between runs, so it is always rewritten).

    Readable by its owner only: it holds the broker's password."""
    lines = ["# Written by local_stack/kafka on every start; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in props.items()]
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_properties(path: Path) -> dict[str, str]:
    """Parse a simple Java .properties file (key=value lines, # comments)."""
    result: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", "!")) or "=" not in line:
                continue
            key, value = line.split("=", 1)
            result[key.strip()] = value.strip()
    return result


def advertised_address(properties_file: Path) -> tuple[str, int] | None:
    """Return host and port of the client listener in a server.properties, if it has one."""
    listeners = read_properties(properties_file).get("advertised.listeners", "")
    for listener in listeners.split(","):
        match = _CLIENT_LISTENER.fullmatch(listener.strip())
        if match:
            return match.group("host"), int(match.group("port"))
    return None


def cluster_id_on_disk(log_dir: Path) -> str | None:
    """Return the cluster id the storage tool recorded in log_dir, if it is formatted."""
    return read_properties(log_dir / "meta.properties").get("cluster.id")


def kafka_uuid() -> str:
    """Return a random id in Kafka's Uuid text form (22 chars of unpadded URL-safe base64)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        # Kafka's Uuid.randomUuid() rejects ids starting with '-' because command-line
        # parsers would read them as options.
        if not text.startswith("-"):
            return text
