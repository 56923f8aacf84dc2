"""The outbox replaces a producer that can never succeed again (its sequence numbers lost)."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, OutOfOrderSequenceNumber

import agents.outbox as outbox_module
from agents.outbox import Outbox


class FakeProducer:
    """Stands in for EventProducer: fails as told, counts its lives."""

    made: list[FakeProducer] = []
    fail_with: list[BaseException] = []

    def __init__(self, *args: Any) -> None:
        self.stopped = False
        FakeProducer.made.append(self)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True

    async def send_many(self, envelopes: list[Any]) -> list[Any]:
        if FakeProducer.fail_with:
            raise FakeProducer.fail_with.pop(0)
        return envelopes


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeProducer]:
    FakeProducer.made, FakeProducer.fail_with = [], []
    monkeypatch.setattr(outbox_module, "EventProducer", FakeProducer)
    return FakeProducer


async def test_an_out_of_order_sequence_gets_a_new_producer(fake: type[FakeProducer]) -> None:
    box = Outbox("b", "p", "w")
    fake.fail_with = [OutOfOrderSequenceNumber()]
    with pytest.raises(OutOfOrderSequenceNumber):  # the caller sends again later
        await box.send([])
    await box.send([])
    assert len(fake.made) == 2 and fake.made[0].stopped and not fake.made[1].stopped


async def test_a_broker_away_keeps_the_producer(fake: type[FakeProducer]) -> None:
    box = Outbox("b", "p", "w")
    fake.fail_with = [KafkaConnectionError()]
    with pytest.raises(KafkaConnectionError):
        await box.send([])
    await box.send([])
    assert len(fake.made) == 1
