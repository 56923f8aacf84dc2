"""What each role's principal may do, and the local broker's own two passwords."""

from __future__ import annotations

import json
from pathlib import Path

from local_stack.kafka.principals import Grant, Role, acl_bindings, grants_for
from local_stack.kafka.secrets import load_or_create_secrets, read_secrets


def test_a_producer_may_only_write_render_requests() -> None:
    assert grants_for(Role.PRODUCER, "shop", "bs") == [
        Grant("topic", "bs.render.jobs", False, ("WRITE", "DESCRIBE"))
    ]


def test_analytics_reads_the_event_topics_but_not_the_dead_letters_in_its_own_groups() -> None:
    grants = grants_for(Role.ANALYTICS, "dash", "bs")
    topics = {g.name for g in grants if g.resource == "topic"}
    assert topics == {
        "bs.render.jobs",
        "bs.clip.tasks",
        "bs.clip.events",
        "bs.render.config",
        "bs.analysis",
        "bs.video.generations",
    }
    assert all("WRITE" not in g.operations for g in grants)
    assert Grant("group", "dash-", True, ("READ", "DESCRIBE")) in grants


def test_an_auditor_reads_every_topic_of_the_prefix_and_writes_nothing() -> None:
    grants = grants_for(Role.AUDITOR, "audit", "bs")
    assert Grant("topic", "bs", True, ("READ", "DESCRIBE", "DESCRIBE_CONFIGS")) in grants
    assert all("WRITE" not in g.operations for g in grants)
    bindings = acl_bindings("audit", grants)
    assert {b.principal for b in bindings} == {"User:audit"}
    assert len(bindings) == 5  # three on the topics, two on the groups


def test_secrets_are_made_once_kept_private_and_the_service_password_can_be_given(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kafka-secrets.json"
    assert read_secrets(path) is None
    first = load_or_create_secrets(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_secrets(path) == first
    given = load_or_create_secrets(path, "chosen")
    assert given.service_password == "chosen"
    assert given.broker_password == first.broker_password
    assert json.loads(path.read_text())["service"] == "chosen"
    assert read_secrets(path) == given
