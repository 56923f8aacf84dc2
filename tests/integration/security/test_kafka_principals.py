"""Kafka is a trust boundary: the broker refuses anonymous clients and wrong passwords, and
each principal made by `beatstitch kafka users add` may do what its role says, nothing more
(tried with kcat, a client that is not ours)."""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr

from events.kafka_credentials import KafkaCredentials
from events.topics import Topic, physical_name
from tests.support.cli import cli_env, run_cli
from tests.support.kcat import foreign_event, kcat, kcat_produce, needs_kcat

pytestmark = needs_kcat

DENIED = "authorization failed"


def add_principal(bootstrap: str, prefix: str, name: str, role: str) -> tuple[str, str]:
    """Run `beatstitch kafka users add`; return its output and the password it printed."""
    done = run_cli(
        "kafka", "users", "add", name, "--role", role, env=cli_env(bootstrap, prefix, "")
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"BEATSTITCH_KAFKA_PASSWORD=(\S+)", done.stdout)
    assert found, done.stdout
    return done.stdout, found.group(1).strip("'")


def login(name: str, password: str) -> KafkaCredentials:
    return KafkaCredentials(username=name, password=SecretStr(password))


def a_render_request(prefix: str) -> str:
    key = f"job-{uuid.uuid4().hex[:12]}"
    payload = {"render_job_id": key, "project_id": "p-1", "user_id": "u-1"}
    event = foreign_event(
        "RenderRequested", 2, key, payload, event_id=str(uuid.uuid4()), trace_id="t-acl"
    )
    return json.dumps(event)


def read_all(
    bootstrap: str, topic: str, who: KafkaCredentials | None
) -> subprocess.CompletedProcess[str]:
    return kcat("-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", credentials=who)


def test_anonymous_clients_and_wrong_passwords_are_refused(kafka_bootstrap: str) -> None:
    # kcat without credentials cannot even read the cluster's metadata.
    anonymous = kcat("-L", "-b", kafka_bootstrap, "-m", "5", credentials=None, timeout_s=30)
    assert anonymous.returncode != 0
    wrong = kcat(
        "-L", "-b", kafka_bootstrap, "-m", "5", credentials=login("service", "not-it"), timeout_s=30
    )
    assert wrong.returncode != 0
    assert "Authentication failed" in wrong.stderr


async def test_an_anonymous_aiokafka_client_cannot_bootstrap(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=3000)
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await admin.start()
    await admin.close()


def test_a_producer_writes_render_requests_and_nothing_else(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    output, password = add_principal(kafka_bootstrap, topic_prefix, "shop-front", "producer")
    assert f"WRITE, DESCRIBE topic {topic_prefix}.render.jobs" in output
    producer = login("shop-front", password)
    jobs = physical_name(topic_prefix, Topic.RENDER_JOBS)
    tasks = physical_name(topic_prefix, Topic.CLIP_TASKS)

    sent = kcat_produce(kafka_bootstrap, jobs, "job-1", a_render_request(topic_prefix), producer)
    assert sent.returncode == 0, sent.stderr
    # Clip tasks are the workers' to write; the render log is not the producer's to read.
    forged = kcat_produce(kafka_bootstrap, tasks, "video-1", "{}", producer)
    assert forged.returncode != 0 and DENIED in forged.stderr.lower()
    peek = read_all(kafka_bootstrap, jobs, producer)
    assert peek.returncode != 0 and DENIED in peek.stderr.lower()


def test_analytics_reads_the_event_topics_in_its_own_groups_and_writes_nothing(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    jobs = physical_name(topic_prefix, Topic.RENDER_JOBS)
    request = a_render_request(topic_prefix)
    assert kcat_produce(kafka_bootstrap, jobs, "job-2", request).returncode == 0  # as service
    output, password = add_principal(kafka_bootstrap, topic_prefix, "dashboards", "analytics")
    analytics = login("dashboards", password)

    read = read_all(kafka_bootstrap, jobs, analytics)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout.splitlines()[0])["type"] == "RenderRequested"
    # The kcat line it was given works as printed: a group of its own prefix, from the start.
    line = output.split("kcat (with the current librdkafka")[1].splitlines()[1].strip()
    assert "-G dashboards-tail" in line
    printed = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    assert "RenderRequested" in printed.stdout

    write = kcat_produce(kafka_bootstrap, jobs, "job-3", request, analytics)
    assert write.returncode != 0 and DENIED in write.stderr.lower()
    dead_letters = read_all(
        kafka_bootstrap, physical_name(topic_prefix, Topic.DEAD_LETTER), analytics
    )
    assert dead_letters.returncode != 0 and DENIED in dead_letters.stderr.lower()
    other_group = kcat(
        "-b",
        kafka_bootstrap,
        "-G",
        "workers-of-someone-else",
        "-o",
        "beginning",
        "-e",
        jobs,
        credentials=analytics,
        timeout_s=30,
    )
    assert other_group.returncode != 0 and DENIED in other_group.stderr.lower()


def test_an_auditor_reads_everything_and_writes_nothing_and_removal_ends_it(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    dead = physical_name(topic_prefix, Topic.DEAD_LETTER)
    assert kcat_produce(kafka_bootstrap, dead, "x", '{"reason": "test"}').returncode == 0
    _, password = add_principal(kafka_bootstrap, topic_prefix, "audit-office", "auditor")
    auditor = login("audit-office", password)

    read = read_all(kafka_bootstrap, dead, auditor)
    assert read.returncode == 0, read.stderr
    assert '"reason": "test"' in read.stdout
    write = kcat_produce(kafka_bootstrap, dead, "y", "{}", auditor)
    assert write.returncode != 0 and DENIED in write.stderr.lower()

    removed = run_cli(
        "kafka", "users", "remove", "audit-office", env=cli_env(kafka_bootstrap, topic_prefix, "")
    )
    assert removed.returncode == 0, removed.stderr
    assert "can no longer log in" in removed.stdout
    gone = kcat("-L", "-b", kafka_bootstrap, "-m", "5", credentials=auditor, timeout_s=30)
    assert gone.returncode != 0 and "Authentication failed" in gone.stderr


def test_principal_names_of_our_own_and_odd_names_are_refused(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    env = cli_env(kafka_bootstrap, topic_prefix, "")
    for name, says in (
        ("service", "the cluster's own principal"),
        ("Bad Name", "not a principal name"),
    ):
        done = run_cli("kafka", "users", "add", name, "--role", "auditor", env=env)
        assert done.returncode == 1
        assert says in done.stderr
