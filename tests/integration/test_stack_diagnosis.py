"""A command waiting on the services names the part that is down within seconds: with the
broker stopped, the local stack says Kafka does not answer (not, five minutes later, that
the beat analysis is slow)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from local_stack.errors import ServiceError
from local_stack.kafka.broker import LocalKafka
from local_stack.ports import free_tcp_ports
from local_stack.services import UNREACHABLE_FOR_S, run_services
from tests.support.kafka import KAFKA_LIBS_DIR


def test_a_stopped_broker_is_named_within_seconds(tmp_path: Path) -> None:
    port, controller_port = free_tcp_ports(2)
    broker = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port, controller_port)
    info = broker.start()
    try:
        with run_services(info.bootstrap, tmp_path / "logs", workers=0) as stack:
            stack.check()  # all up: nothing to say
            broker.stop()
            stopped = time.monotonic()
            with pytest.raises(ServiceError) as down:
                while time.monotonic() - stopped < 60:
                    stack.check()
                    time.sleep(0.2)
            named_after = time.monotonic() - stopped
    finally:
        broker.stop()
    # What the user sees: which part is down and how to check it, within seconds.
    assert "Kafka has not answered the API" in str(down.value)
    assert "beatstitch kafka status" in str(down.value)
    assert UNREACHABLE_FOR_S <= named_after < 40
