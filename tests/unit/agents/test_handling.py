"""One consumed message, whatever its handler raises: acked, retried, dead-lettered or left."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka.errors import KafkaTimeoutError

from agents.handling import handle_message, handler_error_reason
from agents.metrics import RENDER_HANDLER_ERRORS
from agents.pool import PoolClosed

MESSAGE = SimpleNamespace(topic="t.clip.tasks", partition=2, offset=41, key=b"k", value=b"{}")


class FakeOutbox:
    def __init__(self) -> None:
        self.dead: list[tuple[Any, str, str]] = []

    async def dead_letter(self, message: Any, reason: str, consumer: str) -> None:
        self.dead.append((message, reason, consumer))


async def no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


def raising(*errors: BaseException) -> Any:
    left = list(errors)

    async def work() -> None:
        if left:
            raise left.pop(0)

    return work


def count(consumer: str, reason: str) -> float:
    return RENDER_HANDLER_ERRORS.labels(consumer=consumer, reason=reason)._value.get()


async def test_a_handler_bug_goes_to_the_dead_letters_with_its_origin_and_is_counted() -> None:
    outbox = FakeOutbox()
    before = count("assembler", "IndexError")
    done = await handle_message(
        MESSAGE,
        "assembler",
        raising(IndexError("list index out of range")),
        outbox,
        stopping=lambda: False,
    )
    assert done  # acked: the partition goes on
    ((message, reason, consumer),) = outbox.dead
    assert message is MESSAGE and consumer == "assembler"
    assert reason == "handler_error: IndexError: list index out of range"
    assert count("assembler", "IndexError") == before + 1


async def test_events_not_produced_are_tried_again_not_dead_lettered() -> None:
    outbox = FakeOutbox()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    work = raising(KafkaTimeoutError(), KafkaTimeoutError())
    assert await handle_message(MESSAGE, "planner", work, outbox, lambda: False, sleep=sleep)
    assert outbox.dead == [] and waits == [1.0, 2.0]


async def test_a_stopping_worker_leaves_the_message_unacked_and_reports_nothing() -> None:
    outbox = FakeOutbox()
    for error in (PoolClosed("stopping"), KafkaTimeoutError(), ValueError("x")):
        stopping = not isinstance(error, PoolClosed)
        done = await handle_message(
            MESSAGE, "analyzer", raising(error), outbox, lambda s=stopping: s, sleep=no_wait
        )
        assert not done
    assert outbox.dead == []


def test_the_reason_is_one_bounded_line() -> None:
    reason = handler_error_reason(ValueError("a\nb " + "x" * 1000))
    assert reason.startswith("handler_error: ValueError: a b ") and len(reason) == 500


async def test_the_caller_hears_of_a_dead_letter() -> None:
    heard: list[str] = []
    await handle_message(
        MESSAGE,
        "clipper",
        raising(ValueError("bad")),
        FakeOutbox(),
        lambda: False,
        dead_lettered=lambda: heard.append("dead"),
    )
    assert heard == ["dead"]
