"""Progress streams (SSE) do not pin the API: many streams share one Kafka consumer and hold
no database connection, a user has a bounded number of them, each ends after a lifetime with
a `reconnect` event, and a client that reconnects with Last-Event-ID goes on without repeats
or gaps. The job's events are written on Kafka by the test, as a worker would write them."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from events.kafka_io import EventProducer
from tests.support.api_stack import Stack, service, sign_up, wait_healthy
from tests.support.sse_streams import (
    JobWriter,
    OpenStream,
    established_connections,
    many_client,
    metric,
    open_stream,
)

LIFETIME_S = 6
PER_USER = 10
# More streams than the SQLite pool holds (5 connections + 10 overflow).
STREAMS = 50


@pytest.fixture(scope="module")
def sse_api(stack_env: dict[str, str], stack_root: Path) -> Iterator[tuple[Stack, int]]:
    """The API (short stream lifetime, 10 streams per user) and the projector; and its pid."""
    env = {
        **stack_env,
        "BEATSTITCH_SSE_MAX_LIFETIME_S": str(LIFETIME_S),
        "BEATSTITCH_SSE_STREAMS_PER_USER": str(PER_USER),
    }
    logs = stack_root / "logs"
    url = f"http://127.0.0.1:{env['BEATSTITCH_API_PORT']}"
    api: subprocess.Popen[bytes]
    with service("projector", env, logs), service("api", env, logs) as api:
        wait_healthy(url, api, logs)
        yield Stack(url, env, logs, stack_root), api.pid


@pytest.fixture
async def producer(sse_api: tuple[Stack, int]) -> AsyncIterator[EventProducer]:
    """A producer on the stack's topics, standing in for the workers."""
    env = sse_api[0].env
    async with EventProducer(
        env["BEATSTITCH_KAFKA_BOOTSTRAP"], env["BEATSTITCH_TOPIC_PREFIX"]
    ) as made:
        yield made


async def _timed_get(stack: Stack, token: str, path: str) -> float:
    async with stack.client(token) as client:
        began = time.perf_counter()
        answer = await client.get(path)
        assert answer.status_code == 200, answer.text
        return time.perf_counter() - began


async def test_fifty_streams_share_one_consumer_and_leave_the_api_answering(
    sse_api: tuple[Stack, int], producer: EventProducer
) -> None:
    stack, pid = sse_api
    kafka_port = int(stack.env["BEATSTITCH_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
    users = [
        await sign_up(stack, f"sse-many-{i}-{uuid.uuid4().hex[:6]}@example.com")
        for i in range(STREAMS // PER_USER)
    ]
    writers = [JobWriter(producer, user) for user in users]
    async with AsyncExitStack() as stack_of:
        clients = [
            await stack_of.enter_async_context(many_client(stack.url, u.token)) for u in users
        ]
        for writer, client in zip(writers, clients, strict=True):
            await writer.request(client)
        baseline = established_connections(pid, kafka_port)
        streams: list[OpenStream] = []
        for writer, client in zip(writers, clients, strict=True):
            for _ in range(PER_USER):
                streams.append(
                    await stack_of.enter_async_context(open_stream(client, writer.events_url()))
                )
        firsts = await asyncio.gather(*(s.next() for s in streams))
        assert all(e is not None and e.data["status"] == "queued" for e in firsts)

        # What a user sees: with 50 streams open, the API still answers at once.
        assert await _timed_get(stack, users[0].token, "/healthz") < 1.0
        assert await _timed_get(stack, users[0].token, writers[0].status_url()) < 1.0
        # One Kafka consumer feeds them all (not one per stream), seen from the metrics and
        # from the process's own TCP connections to the broker.
        assert await metric(clients[0], "api_sse_streams") == STREAMS
        assert await metric(clients[0], "api_sse_kafka_consumers") == 1
        assert established_connections(pid, kafka_port) <= baseline + 1

        # Every stream gets a job's event through the shared tail.
        for writer in writers:
            await writer.progress(40)
        seconds = await asyncio.gather(*(s.next() for s in streams))
        assert all(e is not None and e.data["progress"] == 40 for e in seconds)
        # At the lifetime, each ends with a reconnect event naming its last event's id.
        ends = await asyncio.gather(*(s.rest(LIFETIME_S + 20) for s in streams))
        for events in ends:
            assert events[-1].event == "reconnect"
            assert events[-1].data["last_event_id"] == events[-2].id
    deadline = time.monotonic() + 10
    async with stack.client(users[0].token) as client:
        while await metric(client, "api_sse_streams") != 0:
            assert time.monotonic() < deadline, "closed streams are still counted"
            await asyncio.sleep(0.1)


async def test_a_user_gets_429_beyond_the_stream_cap(
    sse_api: tuple[Stack, int], producer: EventProducer
) -> None:
    stack, _ = sse_api
    user = await sign_up(stack, f"sse-cap-{uuid.uuid4().hex[:6]}@example.com")
    writer = JobWriter(producer, user)
    async with many_client(stack.url, user.token) as client:
        await writer.request(client)
        async with AsyncExitStack() as opened:
            for _ in range(PER_USER):
                await opened.enter_async_context(open_stream(client, writer.events_url()))
            refused = await client.get(writer.events_url())
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "5"
            detail = refused.json()["detail"]
            assert f"You already follow {PER_USER} progress streams at once" in detail
            assert "close one of those streams" in detail
        # Once the streams are closed, the user may open one again.
        deadline = time.monotonic() + 10
        while (await client.head(writer.events_url())).status_code == 429:
            assert time.monotonic() < deadline, "closed streams still count against the cap"
            await asyncio.sleep(0.1)
        async with open_stream(client, writer.events_url()) as again:
            assert (await again.next()) is not None


async def test_a_stream_ends_at_its_lifetime_and_resumes_after_the_last_event_id(
    sse_api: tuple[Stack, int], producer: EventProducer
) -> None:
    stack, _ = sse_api
    user = await sign_up(stack, f"sse-resume-{uuid.uuid4().hex[:6]}@example.com")
    writer = JobWriter(producer, user)
    async with many_client(stack.url, user.token) as client:
        await writer.request(client)
        url = writer.events_url()
        async with open_stream(client, url) as first:
            start = await first.next()
            assert start is not None and start.data["status"] == "queued"
            at_10 = await writer.progress(10)
            ten = await first.next()
            assert ten is not None and (ten.id, ten.data["progress"]) == (str(at_10), 10)
            began = time.monotonic()
            end = await first.next(LIFETIME_S + 20)
            assert end is not None and end.event == "reconnect"
            assert time.monotonic() - began < LIFETIME_S + 5
            assert end.id == end.data["last_event_id"] == ten.id
            assert f"Last-Event-ID: {ten.id}" in end.data["message"]
            assert await first.next() is None
        # Resumed at once: nothing new happened, so nothing is sent again.
        async with open_stream(client, url, last_event_id=end.id) as second:
            at_20 = await writer.progress(20)
            twenty = await second.next()
            assert twenty is not None and (twenty.id, twenty.data["progress"]) == (str(at_20), 20)
        # Resumed after a change it missed: the state it missed comes first, once.
        await writer.progress(30)
        while (await client.get(writer.status_url())).json()["progress"] != 30:
            await asyncio.sleep(0.05)
        async with open_stream(client, url, last_event_id=twenty.id) as third:
            thirty = await third.next()
            assert thirty is not None and thirty.data["progress"] == 30
            await writer.fail()
            rest = await third.rest()
        events = [start, ten, twenty, *rest]
        assert [e.data["progress"] for e in events] == [0, 10, 20, 30, 30]
        assert [e.data["status"] for e in events][-1] == "failed"
        ids = [int(e.id or "") for e in events]
        assert ids == sorted(set(ids)), ids
        # The client has seen the end: 204 tells an EventSource to stop reconnecting.
        done = await client.get(url, headers={"Last-Event-ID": events[-1].id or ""})
        assert done.status_code == 204
