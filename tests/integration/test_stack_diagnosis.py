"""A command waiting on the services names the part that is down within seconds: with the
broker stopped, the local stack says Kafka does not answer (not, five minutes later, that
the beat analysis is slow)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from events.kafka_credentials import aiokafka_options, client_credentials
from events.settings import KafkaSettings
from events.topics import Topic, physical_name
from local_stack.errors import ServiceError
from local_stack.kafka.broker import LocalKafka
from local_stack.pipeline_check import PROJECTOR_IDLE_FOR_S, WORKER_ABSENT_FOR_S
from local_stack.ports import free_tcp_ports
from local_stack.services import UNREACHABLE_FOR_S, LocalStack, run_services
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


def first_error(stack: LocalStack, within_s: float) -> tuple[str, float]:
    """The sentence check() raises, and after how many seconds."""
    began = time.monotonic()
    with pytest.raises(ServiceError) as down:
        while time.monotonic() - began < within_s:
            stack.check()
            time.sleep(0.2)
    return str(down.value), time.monotonic() - began


async def produce_one(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, **aiokafka_options(client_credentials())
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"an event nobody folds")
    finally:
        await producer.stop()


def test_a_missing_worker_and_a_stopped_projector_are_named_within_seconds(
    tmp_path: Path,
) -> None:
    port, controller_port = free_tcp_ports(2)
    broker = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port, controller_port)
    info = broker.start()
    try:
        with run_services(info.bootstrap, tmp_path / "logs", workers=0) as stack:
            # No worker was started: the worker group is empty.
            said, after = first_error(stack, 60)
            assert said.startswith("no worker is running (the worker group has no members)")
            assert WORKER_ABSENT_FOR_S <= after < 30
            # The projector stops (not one this command watches as a process): events wait.
            projector = stack.procs.pop("projector")
            projector.terminate()
            projector.wait(20)
            topic = physical_name(KafkaSettings().topic_prefix, Topic.RENDER_JOBS)
            asyncio.run(produce_one(info.bootstrap, topic))
            # A command that starts waiting now hears of the projector first (it is named
            # sooner than a missing worker).
            said, after = first_error(LocalStack(stack.api_url, stack.logs, stack.procs), 60)
    finally:
        broker.stop()
    # What the user sees: the projector named, and how much waits for it.
    assert said.startswith("the projector is not running"), said
    assert "1 events wait to be read models" in said
    assert PROJECTOR_IDLE_FOR_S <= after < 25
