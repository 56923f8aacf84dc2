"""Kafka principals by role: what each may do (ACLs), and making them (SCRAM users + ACLs).

The service principal is a super user (it creates topics and groups of every kind); the
others are users of the log with the least they need:
- producer: writes render requests to `<prefix>.render.jobs`, nothing else;
- analytics: reads the event topics, in consumer groups named `<name>-…`;
- auditor: reads every topic of the prefix (dead letters and changelogs too), writes nothing.

aiokafka has no admin call for SCRAM users or ACLs; confluent-kafka (librdkafka) has both.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from events.kafka_credentials import KafkaCredentials, librdkafka_options
from events.topics import Topic, physical_name
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.probe import check_cluster

SCRAM_ITERATIONS = 4096
ADMIN_TIMEOUT_S = 15.0
# Event topics an analytics principal reads: every catalog topic but the dead letters,
# which hold whatever a foreign producer wrote that we could not decode.
ANALYTICS_TOPICS = (
    Topic.RENDER_JOBS,
    Topic.CLIP_TASKS,
    Topic.CLIP_EVENTS,
    Topic.RENDER_CONFIG,
    Topic.ANALYSIS,
    Topic.VIDEO_GENERATIONS,
)


class Role(StrEnum):
    """What a principal is for."""

    PRODUCER = "producer"
    ANALYTICS = "analytics"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Grant:
    """Operations allowed on the resources a name (or a name prefix) matches."""

    resource: str  # "topic" or "group"
    name: str
    prefixed: bool
    operations: tuple[str, ...]


def group_prefix(name: str) -> str:
    """The consumer-group prefix a principal may use: its own name and a dash."""
    return f"{name}-"


def grants_for(role: Role, name: str, prefix: str) -> list[Grant]:
    """Return what a principal of `role` called `name` may do on the topics of `prefix`."""
    if role is Role.PRODUCER:
        topic = physical_name(prefix, Topic.RENDER_JOBS)
        return [Grant("topic", topic, False, ("WRITE", "DESCRIBE"))]
    groups = Grant("group", group_prefix(name), True, ("READ", "DESCRIBE"))
    if role is Role.ANALYTICS:
        topics = [
            Grant("topic", physical_name(prefix, t), False, ("READ", "DESCRIBE"))
            for t in ANALYTICS_TOPICS
        ]
        return [*topics, groups]
    everything = Grant("topic", prefix, True, ("READ", "DESCRIBE", "DESCRIBE_CONFIGS"))
    return [everything, groups]


def acl_bindings(name: str, grants: Sequence[Grant]) -> list[AclBinding]:
    """The grants as Kafka ACL bindings (ALLOW, from any host) for User:<name>."""
    return [
        AclBinding(
            ResourceType.TOPIC if g.resource == "topic" else ResourceType.GROUP,
            g.name,
            ResourcePatternType.PREFIXED if g.prefixed else ResourcePatternType.LITERAL,
            f"User:{name}",
            "*",
            AclOperation[operation],
            AclPermissionType.ALLOW,
        )
        for g in grants
        for operation in g.operations
    ]


def admin_client(bootstrap: str, credentials: KafkaCredentials | None) -> AdminClient:
    """A confluent-kafka admin client with our credentials."""
    return AdminClient({"bootstrap.servers": bootstrap, **librdkafka_options(credentials)})


def set_scram_password(admin: AdminClient, name: str, password: str) -> None:
    """Create the SCRAM-SHA-512 user `name`, or change its password."""
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upsert = UserScramCredentialUpsertion(name, info, password.encode())
    _wait_all(admin.alter_user_scram_credentials([upsert], request_timeout=ADMIN_TIMEOUT_S))


def add_principal(
    admin: AdminClient, name: str, password: str, role: Role, prefix: str
) -> list[Grant]:
    """Make (or remake) principal `name` with `role`'s ACLs; return the grants."""
    set_scram_password(admin, name, password)
    remove_acls(admin, name)
    grants = grants_for(role, name, prefix)
    _wait_all(admin.create_acls(acl_bindings(name, grants), request_timeout=ADMIN_TIMEOUT_S))
    return grants


def remove_principal(admin: AdminClient, name: str) -> None:
    """Delete principal `name`'s SCRAM credential and every ACL naming it."""
    deletion = UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512)
    _wait_all(admin.alter_user_scram_credentials([deletion], request_timeout=ADMIN_TIMEOUT_S))
    remove_acls(admin, name)


def remove_acls(admin: AdminClient, name: str) -> None:
    """Delete every ACL whose principal is User:<name>."""
    # None matches any resource name and any host (the stubs type them as str only).
    match = AclBindingFilter(
        ResourceType.ANY,
        None,  # type: ignore[arg-type]
        ResourcePatternType.ANY,
        f"User:{name}",
        None,  # type: ignore[arg-type]
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    _wait_all(admin.delete_acls([match], request_timeout=ADMIN_TIMEOUT_S))


def _wait_all(futures: Mapping[Any, Future[Any]]) -> None:
    # Every admin call answers with one future per item asked for.
    for future in futures.values():
        future.result(timeout=ADMIN_TIMEOUT_S * 2)


def ensure_service_principal(
    bootstrap: str, broker: KafkaCredentials, service: KafkaCredentials, deadline: float
) -> None:
    """Give the service principal its password, and wait until every node lets it in.

    Run on every start, so a data directory made before authentication, or a password
    changed in settings, still ends with a service that can log in."""
    set_scram_password(
        admin_client(bootstrap, broker), service.username, service.password.get_secret_value()
    )
    for node in bootstrap.split(","):
        _wait_login(node, service, deadline)


def _wait_login(node: str, credentials: KafkaCredentials, deadline: float) -> None:
    # A SCRAM credential reaches each broker through the metadata log, a moment after the
    # controller accepted it.
    while True:
        try:
            check_cluster(node, 3.0, credentials)
            return
        except KafkaBrokerError as exc:
            if time.monotonic() > deadline:
                raise KafkaBrokerError(
                    f"The service principal cannot log in to {node} ({exc})."
                ) from exc
        time.sleep(0.2)
