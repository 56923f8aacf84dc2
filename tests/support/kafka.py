"""The `kafka_bootstrap` session fixture: a real Kafka broker for the integration tests.

With BEATSTITCH_KAFKA_BOOTSTRAP set, tests use that cluster. Otherwise one local broker
(local_stack.kafka.broker.LocalKafka, from the jars `make install` put in .data/kafka-libs) runs for
the whole session in a temporary directory on free ports, and is stopped at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr

from events.kafka_credentials import SERVICE_PRINCIPAL, KafkaCredentials, credentials_env
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.broker import LocalKafka
from local_stack.ports import free_tcp_ports

log = structlog.get_logger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_LIBS_DIR = REPO_ROOT / ".data" / "kafka-libs"
BOOTSTRAP_ENV = "BEATSTITCH_KAFKA_BOOTSTRAP"


def use_test_service_principal() -> None:
    """Log every client of the session in as the test brokers' service principal.

    Set in the environment before any broker starts: the brokers give the principal this
    password, and this process and every service it starts read it from settings. With
    BEATSTITCH_KAFKA_BOOTSTRAP the cluster's own credentials come from the environment."""
    if os.environ.get(BOOTSTRAP_ENV):
        return
    service = KafkaCredentials(
        username=SERVICE_PRINCIPAL, password=SecretStr(secrets.token_urlsafe(18))
    )
    os.environ.update(credentials_env(service))


def say_to_terminal(request: pytest.FixtureRequest, message: str) -> None:
    """Write one line to the terminal even while pytest captures output."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(message)
        return
    # Fixture set-up runs under output capture; lift it so the line reaches the terminal.
    with capture.global_and_fixture_disabled():
        reporter.write_line(message)


@pytest.fixture(scope="session")
def kafka_bootstrap(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield "host:port" of a Kafka cluster: BEATSTITCH_KAFKA_BOOTSTRAP or a local broker."""
    external = os.environ.get(BOOTSTRAP_ENV)
    if external:
        say_to_terminal(request, f"kafka: using {external} from {BOOTSTRAP_ENV}")
        yield external
        return

    # Free ports (not 19092) so a developer's own `beatstitch kafka start` can keep running.
    port, controller_port = free_tcp_ports(2)
    broker = LocalKafka(
        libs_dir=KAFKA_LIBS_DIR,
        data_dir=tmp_path_factory.mktemp("kafka"),
        port=port,
        controller_port=controller_port,
    )
    try:
        info = broker.start()
    except KafkaBrokerError as exc:
        pytest.fail(f"The test Kafka broker could not start: {exc}", pytrace=False)
    say_to_terminal(
        request,
        f"kafka: local Kafka {info.kafka_version} at {info.bootstrap} started in "
        f"{info.seconds:.1f} s (log: {info.log_file})",
    )
    log.info("tests.kafka.started", bootstrap=info.bootstrap, seconds=round(info.seconds, 2))
    try:
        yield info.bootstrap
    finally:
        broker.stop()
