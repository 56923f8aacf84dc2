"""The `beatstitch` command as a person meets it: outputs and error sentences."""

from __future__ import annotations

import os
from pathlib import Path

from events.schema_export import all_schemas
from local_stack.ports import free_tcp_ports
from tests.support.cli import run_cli

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_events_schema_writes_the_committed_schemas(tmp_path: Path) -> None:
    done = run_cli("events", "schema", "--out", str(tmp_path), env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    # One per event type and version, and the dead-letter record's.
    assert f"wrote {len(all_schemas())} schemas" in done.stdout
    written = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert written == {p.name: p.read_text() for p in SCHEMAS.iterdir()}


def test_commands_say_how_to_start_kafka_when_none_is_running(tmp_path: Path) -> None:
    (port,) = free_tcp_ports(1)
    env = {k: v for k, v in os.environ.items() if k != "BEATSTITCH_KAFKA_BOOTSTRAP"} | {
        "BEATSTITCH_DATA_DIR": str(tmp_path),
        "BEATSTITCH_LOCAL_KAFKA_PORT": str(port),
    }
    for args in (("projector",), ("audit", "job-1"), ("replay", "--into", "sqlite://")):
        done = run_cli(*args, env=env)
        # What a person sees: one sentence with the fix, no traceback.
        assert done.returncode == 1, args
        assert f"error: Kafka is not running at 127.0.0.1:{port}" in done.stderr
        assert "Start it with `beatstitch kafka start`" in done.stderr
        assert "Traceback" not in done.stdout + done.stderr


def test_services_say_what_is_wrong_with_kafka_or_the_database(tmp_path: Path) -> None:
    (port,) = free_tcp_ports(1)
    unreachable = {
        **os.environ,
        "BEATSTITCH_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
        "BEATSTITCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    for args in (("api",), ("projector",), ("config", "get")):
        done = run_cli(*args, env=unreachable)
        # What a person sees: which part is unreachable and how to fix it, no traceback.
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "error: cannot reach Kafka" in done.stderr, (args, done.stderr)
        assert f"127.0.0.1', {port}" in done.stderr
        assert "BEATSTITCH_KAFKA_BOOTSTRAP" in done.stderr
        assert "Traceback" not in done.stdout + done.stderr


def test_the_api_says_when_it_cannot_use_the_database(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    (port,) = free_tcp_ports(1)
    env = {
        **os.environ,
        "BEATSTITCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "BEATSTITCH_TOPIC_PREFIX": topic_prefix,
        "BEATSTITCH_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/beatstitch",
    }
    done = run_cli("api", env=env)
    assert done.returncode == 1
    assert "error: cannot use the database (" in done.stderr, done.stderr
    assert "Check BEATSTITCH_DATABASE_URL." in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
