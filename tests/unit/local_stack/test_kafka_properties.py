"""The brokers' configuration: one broker as today, and every node of a three-node cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_stack.kafka.properties import (
    NodeAddress,
    advertised_address,
    failure_detection_properties,
    idle_properties,
    node_properties,
    quorum_voters,
    read_properties,
    replication_properties,
    server_properties,
    write_properties,
)

THREE = [NodeAddress(1, 19192, 19193), NodeAddress(2, 19194, 19195), NodeAddress(3, 19196, 19197)]


def test_single_broker_is_node_one_and_its_own_quorum_with_one_replica() -> None:
    """The single broker keeps one copy of everything and needs no other broker."""
    props = server_properties("127.0.0.1", 19092, 19093, Path("/d/log"), {}, "pw")
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:19092"
    assert props["log.dirs"] == "/d/log"
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    for key in (
        "default.replication.factor",
        "min.insync.replicas",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
    ):
        assert props[key] == "1", key
    # Kafka's own failure-detection defaults: there is no other broker to notice.
    assert "broker.session.timeout.ms" not in props


def test_cluster_node_lists_every_voter_and_listens_on_its_own_ports() -> None:
    """Node 2 of three: its id and ports, all three voters, three replicas, two in sync."""
    props = node_properties("127.0.0.1", THREE[1], THREE, Path("/c/node-2/log"), {}, "pw")
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19193,2@127.0.0.1:19195,3@127.0.0.1:19197"
    )
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:19194,CONTROLLER://127.0.0.1:19195"
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:19194"
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"
    # A dead broker leaves the ISR within seconds, not Kafka's default 9 s / 30 s.
    assert int(props["broker.session.timeout.ms"]) <= 6000
    assert int(props["broker.heartbeat.interval.ms"]) * 3 <= int(props["broker.session.timeout.ms"])


def test_extra_properties_override_the_defaults() -> None:
    """Callers (tests, benches) may override any setting."""
    props = node_properties(
        "127.0.0.1", THREE[0], THREE, Path("/l"), {"min.insync.replicas": "3", "x.y": "z"}, "pw"
    )
    assert props["min.insync.replicas"] == "3"
    assert props["x.y"] == "z"


@pytest.mark.parametrize(
    ("brokers", "replicas", "min_isr"), [(1, "1", "1"), (2, "2", "1"), (3, "3", "2"), (5, "3", "2")]
)
def test_replication_follows_the_number_of_brokers(
    brokers: int, replicas: str, min_isr: str
) -> None:
    """Up to three copies; acks=all needs all but one of them (at least one)."""
    props = replication_properties(brokers)
    assert props["default.replication.factor"] == replicas
    assert props["offsets.topic.replication.factor"] == replicas
    assert props["min.insync.replicas"] == min_isr
    assert props["transaction.state.log.min.isr"] == min_isr


def test_replication_needs_a_broker() -> None:
    """Zero brokers is a caller's mistake, not a configuration."""
    with pytest.raises(ValueError, match="at least one broker"):
        replication_properties(0)


def test_failure_detection_is_tuned_only_for_clusters() -> None:
    """One broker keeps Kafka's defaults; a cluster fences a dead broker sooner."""
    assert failure_detection_properties(1) == {}
    assert set(failure_detection_properties(3)) >= {"broker.session.timeout.ms"}


def test_a_lone_broker_writes_its_idle_metadata_record_every_5_s_a_cluster_as_kafka_does() -> None:
    assert idle_properties(1) == {"metadata.max.idle.interval.ms": "5000"}
    assert idle_properties(3) == {}
    lone = server_properties("h", 1, 2, Path("/tmp/x"), {}, "pw")
    assert lone["metadata.max.idle.interval.ms"] == "5000"


def test_quorum_voters_names_each_node_by_id_and_controller_port() -> None:
    """controller.quorum.voters is id@host:controller_port for every voter, in order."""
    assert quorum_voters("h", THREE[:2]) == "1@h:19193,2@h:19195"


def test_properties_round_trip_and_the_advertised_address(tmp_path: Path) -> None:
    """What write_properties writes (for its owner only: it holds the broker's password),
    read_properties reads; the client listener's address is found."""
    path = tmp_path / "server.properties"
    props = node_properties("127.0.0.1", THREE[2], THREE, tmp_path / "log", {}, "pw")
    write_properties(path, props)
    assert read_properties(path) == props
    assert path.stat().st_mode & 0o777 == 0o600
    assert advertised_address(path) == ("127.0.0.1", 19196)
    assert advertised_address(tmp_path / "missing.properties") is None


def test_nobody_is_anonymous_and_nothing_is_allowed_without_an_acl() -> None:
    """Every listener wants SASL; clients log in with SCRAM, the broker as itself with PLAIN;
    the standard authorizer denies what no ACL allows; only broker and service are super."""
    props = node_properties("127.0.0.1", THREE[0], THREE, Path("/l"), {}, "s3cret")
    assert props["listener.security.protocol.map"] == (
        "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert "PLAINTEXT://" not in props["listeners"].replace("SASL_PLAINTEXT://", "")
    assert props["listener.name.sasl_plaintext.sasl.enabled.mechanisms"] == "SCRAM-SHA-512,PLAIN"
    assert props["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"
    jaas = props["listener.name.sasl_plaintext.plain.sasl.jaas.config"]
    # PLAIN knows the broker alone: a SCRAM user cannot log in over PLAIN.
    assert 'user_broker="s3cret"' in jaas and jaas.count("user_") == 1
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:broker;User:service"
