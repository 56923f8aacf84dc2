"""What the Kafka benches share: a cluster to run against, and reading a topic back."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from events.kafka_credentials import SERVICE_PRINCIPAL, KafkaCredentials, credentials_env
from events.topic_reader import read_until as read_events_until
from events.topics import Topic, physical_name
from local_stack.kafka.broker import LocalKafka
from local_stack.ports import free_tcp_ports

REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def kafka() -> Iterator[str]:
    """Use BEATSTITCH_KAFKA_BOOTSTRAP, or start a throwaway local broker."""
    if os.environ.get("BEATSTITCH_KAFKA_BOOTSTRAP"):
        yield os.environ["BEATSTITCH_KAFKA_BOOTSTRAP"]
        return
    port, controller = free_tcp_ports(2)
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as data:
        # The broker refuses anonymous clients: this process and the services it starts log
        # in as the throwaway broker's service principal.
        service = KafkaCredentials(
            username=SERVICE_PRINCIPAL, password=SecretStr(secrets.token_urlsafe(18))
        )
        os.environ.update(credentials_env(service))
        broker = LocalKafka(
            REPO / ".data" / "kafka-libs",
            Path(data) / "kafka",
            port,
            controller,
            service_password=service.password.get_secret_value(),
        )
        info = broker.start()
        print(f"kafka: started in {info.seconds:.1f} s at {info.bootstrap}")
        try:
            yield info.bootstrap
        finally:
            broker.stop()


async def read_until(
    bootstrap: str, prefix: str, topic: Topic, done: Callable[[list[Any]], bool]
) -> list[Any]:
    """Decode a topic from the start until `done(events so far)` is true."""
    return await read_events_until(bootstrap, physical_name(prefix, topic), done)
