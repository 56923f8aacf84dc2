"""The broker's configuration files: server.properties (written) and meta.properties (read)."""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

_PLAINTEXT_LISTENER = re.compile(r"PLAINTEXT://(?P<host>[^:]+):(?P<port>\d+)")


def server_properties(
    host: str, port: int, controller_port: int, log_dir: Path, extra: Mapping[str, str]
) -> dict[str, str]:
    """Return the configuration of one broker that is also the KRaft controller."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static voter set (not `format --standalone`): the voters then come from this
        # file on every start instead of being frozen in the metadata log, so the
        # controller port can change between runs of the same data dir.
        "controller.quorum.voters": f"1@{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir),
        # Topics come from the event catalog with explicit partition counts; a typo'd
        # topic must fail loudly rather than appear with the default layout.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # One broker: every internal topic can only have one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # 50 partitions each by default; creating them on the first group join or
        # transaction costs seconds on 2 cores and buys nothing on one broker.
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
        # default, too much for a 768 MiB heap.
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
    }
    props.update(extra)
    return props


def write_properties(path: Path, props: Mapping[str, str]) -> None:
    """Write server.properties (ports may differ between runs, so it is always rewritten)."""
    lines = ["# Written by local_stack/kafka on every start; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in props.items()]
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
    """Return host and port of the PLAINTEXT listener in a server.properties, if it has one."""
    listeners = read_properties(properties_file).get("advertised.listeners", "")
    for listener in listeners.split(","):
        match = _PLAINTEXT_LISTENER.fullmatch(listener.strip())
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
