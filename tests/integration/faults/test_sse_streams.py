"""200 progress streams open at once while a render runs: the API still answers /healthz and a
GET on the job within a second, and every stream gets the render's end.

Runs on the session's single broker with the module's API, projector and worker (the
three-broker cluster adds nothing here: what is at stake is the API process, not Kafka).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

from tests.support.api_stack import Stack, ready_project, sign_up
from tests.support.sse_streams import OpenStream, many_client, open_stream

STREAMS = 200


@pytest.fixture(scope="module")
def stack_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The module's environment, letting one user follow 200 streams."""
    return {**stack_env, "BEATSTITCH_SSE_STREAMS_PER_USER": str(STREAMS)}


async def _answer_time(stack: Stack, token: str, path: str) -> float:
    async with stack.client(token) as client:
        began = time.perf_counter()
        answer = await client.get(path)
        assert answer.status_code == 200, answer.text
        return time.perf_counter() - began


async def test_two_hundred_streams_during_a_render(stack_worker: Stack, tmp_path: Path) -> None:
    stack = stack_worker
    account = await sign_up(stack, f"sse-fault-{uuid.uuid4().hex[:8]}@example.com")
    async with many_client(stack.url, account.token) as client:
        pid, _ = await ready_project(client, tmp_path, bars=8)
        accepted = await client.post(
            f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}"
        )
        assert accepted.status_code == 202, accepted.text
        job = accepted.json()
        opened = [open_stream(client, job["events_url"]) for _ in range(STREAMS)]
        streams: list[OpenStream] = list(await asyncio.gather(*(o.__aenter__() for o in opened)))
        try:
            firsts = await asyncio.gather(*(s.next() for s in streams))
            assert all(e is not None and e.event == "progress" for e in firsts)
            # While 200 streams are open, a liveness bound: each answer within a second.
            assert await _answer_time(stack, account.token, "/healthz") < 1.0
            assert await _answer_time(stack, account.token, job["status_url"]) < 1.0
            ends = await asyncio.gather(*(s.rest(120) for s in streams))
        finally:
            for o in opened:
                await o.__aexit__(None, None, None)
        # Every stream saw the render end; none was told to reconnect.
        assert [events[-1].data["status"] for events in ends] == ["complete"] * STREAMS
        assert not [e for events in ends for e in events if e.event != "progress"]
        assert (await client.get(job["status_url"])).json()["status"] == "complete"
