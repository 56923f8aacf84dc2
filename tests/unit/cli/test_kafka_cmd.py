"""`beatstitch kafka` with --brokers: what it refuses and what it reports, without a JVM."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.kafka_cmd import kafka_app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A BEATSTITCH_DATA_DIR holding a configured (never started) three-node cluster."""
    monkeypatch.delenv("BEATSTITCH_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("BEATSTITCH_DATA_DIR", str(tmp_path))
    for node_id, port in ((1, 39192), (2, 39194), (3, 39196)):
        node = tmp_path / "kafka-cluster" / f"node-{node_id}"
        node.mkdir(parents=True)
        (node / "server.properties").write_text(
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n"
        )
    # Jars by name only: enough for the checks that run before any JVM starts.
    (tmp_path / "kafka-libs").mkdir()
    (tmp_path / "kafka-libs" / "kafka_2.13-4.4.0.jar").touch()
    return tmp_path


def test_status_reports_a_stopped_cluster_and_how_to_start_it(data_dir: Path) -> None:
    """The cluster on disk is found without options; nothing runs, so exit code 1."""
    result = CliRunner().invoke(kafka_app, ["status"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "is not running. Start it with `beatstitch kafka start --brokers 3`" in result.output
    assert "Kafka is not running" in result.output  # the single broker, as before


def test_status_of_the_cluster_named_by_the_bootstrap_variable_is_local(data_dir: Path) -> None:
    """BEATSTITCH_KAFKA_BOOTSTRAP naming the local cluster is not treated as a foreign one."""
    env = {
        "COLUMNS": "300",
        "BEATSTITCH_KAFKA_BOOTSTRAP": "127.0.0.1:39192,127.0.0.1:39194,127.0.0.1:39196",
    }
    result = CliRunner().invoke(kafka_app, ["status"], env=env)
    assert "checking" not in result.output
    assert "--brokers 3" in result.output


def test_a_cluster_directory_keeps_its_size(data_dir: Path) -> None:
    """Three nodes on disk cannot be started as five."""
    result = CliRunner().invoke(kafka_app, ["start", "--brokers", "5"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "holds a cluster of 3 node(s)" in result.output


def test_a_cluster_takes_no_controller_port(data_dir: Path) -> None:
    """--controller-port belongs to the single broker; a cluster's ports follow --port."""
    args = ["start", "--brokers", "3", "--controller-port", "40000"]
    result = CliRunner().invoke(kafka_app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "--controller-port is for a single broker" in result.output
