"""The `beatstitch` command as a person meets it: outputs and error sentences."""

from __future__ import annotations

import os
from pathlib import Path

from cli.kafka_broker import free_tcp_ports
from tests.support.cli import run_cli

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_events_schema_writes_the_committed_schemas(tmp_path: Path) -> None:
    done = run_cli("events", "schema", "--out", str(tmp_path), env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "wrote 17 schemas" in done.stdout
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
