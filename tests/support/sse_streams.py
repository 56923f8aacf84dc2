"""Progress streams (SSE) in tests: read their events, write a job's events as a worker would,
and look at the API process's metrics and Kafka connections."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import RenderFailed, RenderProgress
from events.payloads.render import ProgressStatus
from tests.support.api_stack import Account
from tests.support.sample_requests import render_request


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event: its type, id and JSON data."""

    event: str
    id: str | None
    data: dict[str, Any]


@dataclass
class OpenStream:
    """A progress stream being read: its response and the events so far."""

    response: httpx.Response
    lines: AsyncIterator[str]
    events: list[SseEvent] = field(default_factory=list)

    async def next(self, timeout_s: float = 20) -> SseEvent | None:
        """The next event, or None when the stream ended."""
        return await asyncio.wait_for(self._next(), timeout_s)

    async def _next(self) -> SseEvent | None:
        fields: dict[str, str] = {}
        async for line in self.lines:
            if not line:
                if "data" in fields:
                    event = SseEvent(
                        fields.get("event", "message"), fields.get("id"), json.loads(fields["data"])
                    )
                    self.events.append(event)
                    return event
                fields = {}
                continue
            name, _, value = line.partition(":")
            if name:  # a line starting with ":" is a comment (a ping)
                fields[name] = value.removeprefix(" ")
        return None

    async def rest(self, timeout_s: float = 60) -> list[SseEvent]:
        """Every event until the stream ends."""
        while await self.next(timeout_s) is not None:
            pass
        return self.events


@contextlib.asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, url: str, last_event_id: str | None = None
) -> AsyncIterator[OpenStream]:
    """Open a progress stream (200 expected); closing it disconnects."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    async with client.stream("GET", url, headers=headers, timeout=120) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        yield OpenStream(response, response.aiter_lines())


def many_client(url: str, token: str) -> httpx.AsyncClient:
    """A client without a cap on open connections (httpx keeps 100 by default)."""
    return httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
    )


class JobWriter:
    """Writes one render's events on Kafka as the planner and assembler would (no worker)."""

    def __init__(self, producer: EventProducer, account: Account) -> None:
        self.producer = producer
        self.account = account
        self.job_id = f"render-{uuid.uuid4().hex[:12]}"

    def status_url(self) -> str:
        """The job's GET URL."""
        return f"/api/v1/video/workspaces/{self.account.workspace_id}/render/jobs/{self.job_id}"

    def events_url(self) -> str:
        """The job's progress stream URL."""
        return f"{self.status_url()}/events"

    async def request(self, client: httpx.AsyncClient) -> None:
        """Request the render and wait until the API shows it."""
        request = render_request(self.job_id).model_copy(
            update={"workspace_id": self.account.workspace_id, "requested_by": self.account.user_id}
        )
        await self._send(request)
        deadline = time.monotonic() + 30
        while (await client.get(self.status_url())).status_code != 200:
            assert time.monotonic() < deadline, f"{self.job_id} was not projected in 30 s"
            await asyncio.sleep(0.05)

    async def progress(self, percent: float) -> int:
        """Report progress; returns the event's offset."""
        return await self._send(
            RenderProgress(
                render_job_id=self.job_id,
                status=ProgressStatus.RUNNING,
                progress=percent,
                message=f"{percent:g} %",
            )
        )

    async def fail(self) -> int:
        """End the render (failed); returns the event's offset."""
        return await self._send(RenderFailed(render_job_id=self.job_id, error="ended by a test"))

    async def _send(self, payload: Any) -> int:
        meta = await self.producer.send(make_event(payload, trace_id=f"trace-{self.job_id}"))
        return int(meta.offset)


async def metric(client: httpx.AsyncClient, name: str) -> float:
    """The value of an unlabelled metric the API exports."""
    text = (await client.get("/metrics/")).text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not among the API's metrics"
    return float(found.group(1))


def established_connections(pid: int, port: int) -> int:
    """TCP connections the process has open to `port` (the Kafka broker's), from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            cols = row.split()
            remote_port = int(cols[2].rsplit(":", 1)[1], 16)
            if remote_port == port and cols[3] == "01" and cols[9] in inodes:
                count += 1
    return count
