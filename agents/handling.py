"""How an agent treats one consumed message whatever its handler raises.

Faust acks a message in a `finally` once the handler moves on, so an exception would skip
it silently. Our agents ack by hand, and this module decides when: after the handler
returned, or after a message it cannot process went to the dead-letter topic; never for
work cut short because the worker stops (the partition's next owner does it again)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog
from aiokafka.errors import KafkaError

from agents.metrics import RENDER_HANDLER_ERRORS
from agents.pool import PoolClosed

log = structlog.get_logger("render_worker")

Sleep = Callable[[float], Awaitable[Any]]


class DeadLetters(Protocol):
    """Where a message nobody can process goes (the worker's Outbox)."""

    async def dead_letter(self, message: Any, reason: str, consumer: str) -> None: ...


def not_sent(exc: BaseException) -> bool:
    """True if the exception says an event could not be produced (worth trying again)."""
    return isinstance(exc, KafkaError | TimeoutError | OSError)


def retry_delay_s(failures: int) -> float:
    """Pause before trying again work whose events could not be produced: 1, 2, 4 … 30 s."""
    return float(min(2 ** max(failures - 1, 0), 30))


def handler_error_reason(exc: BaseException) -> str:
    """The dead letter's reason for a handler that raised: the error, in one line."""
    text = " ".join(str(exc).split())
    return f"handler_error: {type(exc).__name__}: {text}"[:500]


async def report_handler_error(
    outbox: DeadLetters, message: Any, consumer: str, exc: BaseException
) -> None:
    """Log and count a message its handler could not process, and dead-letter it."""
    RENDER_HANDLER_ERRORS.labels(consumer=consumer, reason=type(exc).__name__).inc()
    log.error(
        "render_worker.handler_error",
        trace_id=None,
        consumer=consumer,
        topic=getattr(message, "topic", None),
        partition=getattr(message, "partition", None),
        offset=getattr(message, "offset", None),
        error=f"{type(exc).__name__}: {exc}",
        exc_info=exc,
    )
    await outbox.dead_letter(message, handler_error_reason(exc), consumer=consumer)


async def handle_message(
    message: Any,
    consumer: str,
    work: Callable[[], Awaitable[None]],
    outbox: DeadLetters,
    stopping: Callable[[], bool],
    sleep: Sleep = asyncio.sleep,
    dead_lettered: Callable[[], None] = lambda: None,
) -> bool:
    """Run `work` for one message; True when the message is done and may be acked.

    Events that could not be produced are tried again (with a growing pause) until they are;
    any other exception sends the message to the dead-letter topic (then `dead_lettered()`
    is called). False means the worker stops: the message stays unacked and nothing was
    reported for it."""
    failures = 0
    while True:
        try:
            await work()
            return True
        except PoolClosed:
            return False
        except Exception as exc:  # noqa: BLE001 - every failure is either retried or dead-lettered
            if stopping():
                return False
            error: BaseException = exc
            if not not_sent(exc):
                try:
                    await report_handler_error(outbox, message, consumer, exc)
                    dead_lettered()
                    return True
                except Exception as dead_letter_exc:  # noqa: BLE001 - the broker is away
                    error = dead_letter_exc
            failures += 1
            log.warning(
                "render_worker.events_not_sent",
                trace_id=None,
                consumer=consumer,
                failures=failures,
                error=f"{type(error).__name__}: {error}",
            )
            await sleep(retry_delay_s(failures))
            if stopping():
                return False
