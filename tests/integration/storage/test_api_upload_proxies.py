"""Upload-time proxies through the service: a user uploads a song, clips and a photo; the
API asks a worker for each one's proxy (at the project's output size, the song as AAC);
the media and audio JSON show each proxy's variant and status; a render requested once they
are made cuts every clip from them (the user sees the same render, made faster)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.sample_media import write_sample_media, write_song
from tests.support.api_stack import SMALL, Stack, log_lines, log_tail, progress_stream, sign_up


@pytest.fixture(scope="module")
def stack_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The module's stack with upload proxies on (the test suite turns them off)."""
    return {**stack_env, "BEATSTITCH_UPLOAD_PROXIES": "true"}


async def upload_all(client: httpx.AsyncClient, tmp: Path) -> str:
    """A 320x180 project at 12 fps with a song, two clips and a photo; its id."""
    project = await client.post("/api/v1/projects", json={"name": "proxies", "settings": SMALL})
    pid = str(project.json()["id"])
    with write_song(tmp / "song", bpm=120.0, bars=4).open("rb") as f:
        song = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
    assert song.status_code == 202, song.text
    for path in write_sample_media(tmp / "media", videos=2, stills=1, size=(320, 180)):
        with path.open("rb") as f:
            added = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        assert added.status_code == 201, added.text
    return pid


async def proxies_made(
    client: httpx.AsyncClient, pid: str, stack: Stack, timeout_s: float = 240
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Poll the media and the audio until the beat analysis is done and no upload's proxy
    is pending (the proxies share the worker's pool with the analysis)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        media = (await client.get(f"/api/v1/projects/{pid}/media")).json()
        audio = (await client.get(f"/api/v1/projects/{pid}/audio")).json()
        shown = [p for item in [*media, audio] for p in item["proxies"]]
        every = all(item["proxies"] for item in [*media, audio])
        analysed = audio["analysis_status"] != "pending"
        if analysed and every and all(p["status"] != "pending" for p in shown):
            return media, audio
        await asyncio.sleep(0.3)
    raise AssertionError(
        f"the proxies of project {pid} were not made in {timeout_s:g} s\n"
        f"{log_tail(stack.logs, 'worker')}"
    )


async def test_uploads_get_proxies_and_the_render_cuts_its_clips_from_them(
    stack_worker: Stack, tmp_path: Path
) -> None:
    stack = stack_worker
    account = await sign_up(stack, f"proxies-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as client:
        pid = await upload_all(client, tmp_path)
        media, audio = await proxies_made(client, pid, stack)
        assert audio["analysis_status"] == "completed", audio
        # Each photo and clip has its proxy for the project's output size, the song its AAC.
        assert {m["kind"] for m in media} == {"video", "image"}
        assert all(m["proxies"] == [{"variant": "320x180", "status": "completed"}] for m in media)
        assert audio["proxies"] == [{"variant": "music", "status": "completed"}]

        accepted = await client.post(
            f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}",
            json={"kind": "final"},
        )
        assert accepted.status_code == 202, accepted.text
        events = await progress_stream(client, accepted.json()["events_url"])
        assert events[-1]["status"] == "complete", events
        job = (await client.get(accepted.json()["status_url"])).json()

    # The render is the usual one; the worker's log says every clip came from a proxy.
    stats = job["clip_stats"]
    assert stats["success_tasks"] == stats["total_tasks"] > 0, stats
    trace = accepted.headers["x-trace-id"]
    cut = [
        line
        for line in log_lines(stack.logs, "worker")
        if line.get("event") == "render_worker.clip_task_completed"
        and line.get("trace_id") == trace
    ]
    assert len(cut) == stats["total_tasks"], log_tail(stack.logs, "worker")
    assert all(line["from_proxy"] is True for line in cut), cut


async def test_a_new_output_size_asks_for_proxies_at_that_size(
    stack_worker: Stack, tmp_path: Path
) -> None:
    stack = stack_worker
    account = await sign_up(stack, f"resized-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as client:
        pid = await upload_all(client, tmp_path)
        await proxies_made(client, pid, stack)
        # Only the frame rate: the proxies still fit, nothing is asked for.
        fps = await client.patch(
            f"/api/v1/projects/{pid}", json={"settings": {"output": {"fps": 15}}}
        )
        assert fps.status_code == 200, fps.text
        smaller = {"settings": {"output": {"width": 256, "height": 144}}}
        resized = await client.patch(f"/api/v1/projects/{pid}", json=smaller)
        assert resized.status_code == 200, resized.text
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            media = (await client.get(f"/api/v1/projects/{pid}/media")).json()
            shown = [sorted((p["variant"], p["status"]) for p in m["proxies"]) for m in media]
            if all(("256x144", "completed") in variants for variants in shown):
                break
            await asyncio.sleep(0.5)
    # What a user sees on each photo and clip: the proxy for the new size beside the old one,
    # and none for the frame rate alone.
    assert shown == [[("256x144", "completed"), ("320x180", "completed")]] * 3, (
        f"{shown}\n{log_tail(stack.logs, 'worker')}"
    )
