"""Read your writes: a write that produced an event answers once the projector folded it, and
a clear 503 (nothing lost) when the projector is down."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.kafka_io import EventProducer
from tests.support.api_stack import (
    Stack,
    log_lines,
    second_api,
    sign_up,
    sign_up_admin,
)
from tests.support.sse_streams import JobWriter, many_client


@contextlib.contextmanager
def api_without_its_projector(stack: Stack, tmp: Path, wait_s: str) -> Iterator[Stack]:
    """A second API on the module's topics and database whose projector never runs; it waits
    `wait_s` for it before answering 503."""
    with second_api(
        stack,
        tmp / "logs",
        BEATSTITCH_PROJECTION_WAIT_S=wait_s,
        BEATSTITCH_PROJECTOR_NAME=f"stopped-{uuid.uuid4().hex[:6]}",
    ) as api:
        yield api


@pytest.fixture
def api_without_projector(stack: Stack, tmp_path: Path) -> Iterator[Stack]:
    """A second API, quick to give up on the projector."""
    with api_without_its_projector(stack, tmp_path, "1.5") as api:
        yield api


async def test_a_write_waits_for_the_projector_and_says_so_when_it_is_down(
    stack: Stack, api_without_projector: Stack, tmp_path: Path
) -> None:
    lagging = api_without_projector
    # An administrator: only they change the render config.
    account = await sign_up_admin(stack, f"ryw-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as live, lagging.client(account.token) as stalled:
        before = (await live.get("/api/v1/render/config")).json()["version"]
        # Its projector name has no offsets: as far as this API knows, nothing is projected.
        answer = await stalled.patch("/api/v1/render/config", json={"max_retry": 3})
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "2"
        detail = answer.json()
        assert "Is `beatstitch projector` running?" in detail["detail"]
        assert "do not send the request again" in detail["detail"]
        assert detail["event_id"]
        # The event was not lost: the real projector folds it, and the live API shows it.
        for _ in range(100):
            now = (await live.get("/api/v1/render/config")).json()
            if now["version"] > before:
                break
            await asyncio.sleep(0.05)
        assert now["version"] == before + 1 and now["config"]["max_retry"] == 3
        # With its projector running, the same write answers 200 and is visible at once.
        ok = await live.patch("/api/v1/render/config", json={"max_retry": 2})
        assert ok.status_code == 200
        assert (await live.get("/api/v1/render/config")).json()["version"] == before + 2


async def test_health_metrics_and_docs(stack: Stack) -> None:
    async with stack.client() as client:
        health = await client.get("/healthz")
        assert health.json() == {"status": "ok", "database": "ok", "kafka": "ok"}
        metrics = (await client.get("/metrics/")).text
        assert 'api_requests_total{method="GET",route="/healthz",status="200"}' in metrics
        spec = (await client.get("/openapi.json")).json()
        assert "/api/v1/video/workspaces/{workspace_id}/render/{project_id}" in spec["paths"]
        assert "/api/v1/video/workspaces/{workspace_id}/render/jobs/{job_id}" in spec["paths"]
        assert (await client.get("/docs")).status_code == 200
        traced = await client.get("/healthz", headers={"X-Trace-Id": "trace-from-caller"})
        assert traced.headers["x-trace-id"] == "trace-from-caller"
        # One that would not fit an event envelope is replaced, not passed on to break it.
        oversized = await client.get("/healthz", headers={"X-Trace-Id": "x" * 65})
        assert oversized.headers["x-trace-id"].startswith("trace-")


@pytest.fixture
def api_waiting_long(stack: Stack, tmp_path: Path) -> Iterator[Stack]:
    """A second API that waits 30 s for its projector before answering 503."""
    with api_without_its_projector(stack, tmp_path, "30") as api:
        yield api


async def test_writes_waiting_for_the_projector_hold_no_thread(
    stack: Stack, api_waiting_long: Stack
) -> None:
    lagging = api_waiting_long
    account = await sign_up(stack, f"ryw-many-{uuid.uuid4().hex[:8]}@example.com")
    # More waiting writes than the API's worker threads (40): cancelling 60 renders.
    writes = 60
    env = stack.env
    async with (
        EventProducer(env["BEATSTITCH_KAFKA_BOOTSTRAP"], env["BEATSTITCH_TOPIC_PREFIX"]) as made,
        many_client(lagging.url, account.token) as client,
    ):
        jobs = [JobWriter(made, account) for _ in range(writes)]
        for job in jobs:
            await job.request(client)
        cancels = [asyncio.create_task(client.post(f"{j.status_url()}/cancel")) for j in jobs]
        # With a thread held per waiting write, only 40 get this far before the first 503s
        # (30 s); 20 s leaves a slow machine room to produce all 60.
        deadline = time.monotonic() + 20
        while _produced(lagging) < writes:
            assert time.monotonic() < deadline, "the cancellations were not all produced in 20 s"
            await asyncio.sleep(0.05)
        # What a user sees while 60 writes wait: the API answers other requests at once.
        for path in ("/healthz", jobs[0].status_url()):
            began = time.perf_counter()
            answer = await client.get(path)
            assert answer.status_code == 200, answer.text
            assert time.perf_counter() - began < 1.0, f"{path} waited for a free thread"
        answers = await asyncio.gather(*cancels)
    assert [a.status_code for a in answers] == [503] * writes
    assert all("Is `beatstitch projector` running?" in a.json()["detail"] for a in answers)


def _produced(api: Stack) -> int:
    return sum(
        1 for line in log_lines(api.logs, "api") if line.get("event") == "api.event_produced"
    )
