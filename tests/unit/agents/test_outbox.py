"""The outbox replaces a producer that can never succeed again (its sequence numbers lost,
or a send that outlived its deadline)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, OutOfOrderSequenceNumber
from prometheus_client import REGISTRY

import agents.outbox as outbox_module
from agents.outbox import Outbox, SendDeadlineExceeded


class FakeProducer:
    """Stands in for EventProducer: fails as told, counts its lives."""

    made: list[FakeProducer] = []
    fail_with: list[BaseException] = []
    hang: list[bool] = []  # per send: True waits for ever, as on a dead leader

    def __init__(self, *args: Any) -> None:
        self.stopped = False
        self.sent: list[Any] = []
        FakeProducer.made.append(self)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True

    async def stop_within(self, grace_s: float) -> None:
        self.stopped = True

    async def send_many(self, envelopes: list[Any]) -> list[Any]:
        if FakeProducer.fail_with:
            raise FakeProducer.fail_with.pop(0)
        if FakeProducer.hang and FakeProducer.hang.pop(0):
            await asyncio.Event().wait()
        self.sent.extend(envelopes)
        return envelopes

    async def send_dead_letter(self, letter: Any) -> None:
        await self.send_many([letter])


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeProducer]:
    FakeProducer.made, FakeProducer.fail_with, FakeProducer.hang = [], [], []
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


def _replaced(reason: str) -> float:
    return REGISTRY.get_sample_value("render_producer_replaced_total", {"reason": reason}) or 0.0


async def test_a_send_past_its_deadline_counts_as_not_sent_and_gets_a_new_producer(
    fake: type[FakeProducer],
) -> None:
    """A producer that never hears back (a dead leader in its metadata) is dropped at the
    deadline; the caller sees a TimeoutError (so the task runs again) and the next send
    goes out on a new producer."""
    box = Outbox("b", "p", "w", deadline_s=0.05)
    before = _replaced("deadline")
    fake.hang = [True]
    with pytest.raises(SendDeadlineExceeded, match="within 0.05 s") as caught:
        await box.send(["e1"])
    assert isinstance(caught.value, TimeoutError)  # handling.not_sent retries it
    await box.send(["e1"])
    first, second = fake.made
    assert first.stopped and first.sent == [] and second.sent == ["e1"]
    assert _replaced("deadline") == before + 1


async def test_a_dead_letter_has_the_same_deadline(fake: type[FakeProducer]) -> None:
    class Message:
        topic, partition, offset, key, value, headers = "t", 0, 7, b"k", b"v", []

    box = Outbox("b", "p", "w", deadline_s=0.05)
    fake.hang = [True]
    with pytest.raises(SendDeadlineExceeded):
        await box.dead_letter(Message(), "malformed", consumer="clipper")
    await box.dead_letter(Message(), "malformed", consumer="clipper")
    assert len(fake.made) == 2 and len(fake.made[1].sent) == 1
