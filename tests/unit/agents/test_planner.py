"""The planner agent's handling: a re-plan sends the same events; a worker plans once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.planner import handle_render_job_message
from agents.recent_ids import RecentIds
from events.base import make_event
from events.codec import encode
from tests.support.sample_requests import render_request


@dataclass
class Message:
    value: bytes


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send(self, envelopes: list[Any]) -> None:
        self.sent.append(envelopes)


async def test_a_request_planned_on_two_workers_gives_the_same_event_ids() -> None:
    message = Message(encode(make_event(render_request("job-p"), trace_id="t")))
    first, second = Outbox(), Outbox()
    await handle_render_job_message(message, first, RecentIds())  # type: ignore[arg-type]
    await handle_render_job_message(message, second, RecentIds())  # type: ignore[arg-type]
    (a,), (b,) = first.sent, second.sent
    assert [e.event_id for e in a] == [e.event_id for e in b]
    assert len({e.event_id for e in a}) == len(a)  # one id per event of the plan
    assert [e.payload for e in a] == [e.payload for e in b]


async def test_a_redelivered_request_is_not_planned_again_by_the_same_worker() -> None:
    message = Message(encode(make_event(render_request("job-q"), trace_id="t")))
    outbox, planned = Outbox(), RecentIds()
    await handle_render_job_message(message, outbox, planned)  # type: ignore[arg-type]
    await handle_render_job_message(message, outbox, planned)  # type: ignore[arg-type]
    assert len(outbox.sent) == 1
