"""The whole service with nothing shared but Kafka, the database and an S3 store.

The API and the projector run with their own folder; two workers each with folders of their
own (media, artifacts, cache). A user uploads a song and media through the API (into
S3Proxy), a worker finds the beats from the stored song, the render completes, the MP4
downloads through the API, and neither worker's folders hold anything afterwards but its
cache (and its own placeholder clip), and the store holds none of the render's clips. An
image move over a project photo fetches the photo from the store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import httpx

from engine.probe import probe
from tests.support.api_stack import Stack, ready_project, service, sign_up, wait_healthy
from tests.support.s3proxy import RunningS3Proxy
from tests.support.stored import files_left, s3_backend
from tests.support.worker import WorkerProcess, running_worker


async def image_move(client: httpx.AsyncClient, pid: str) -> dict[str, Any]:
    """Ask for an image move over the project's first photo; its record once it has ended."""
    media = (await client.get(f"/api/v1/projects/{pid}/media")).json()
    photo = next(m["id"] for m in media if m["kind"] == "image")
    body = {"kind": "image_move", "image_asset_id": photo, "prompt": "slow push in"}
    body |= {"width": 320, "height": 180, "fps": 12, "duration_s": 1.0}
    accepted = await client.post(f"/api/v1/projects/{pid}/generations", json=body)
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 120
    record = (await client.get(accepted.json()["status_url"])).json()
    while record["status"] not in ("completed", "failed") and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        record = (await client.get(accepted.json()["status_url"])).json()
    return dict(record)


async def test_api_projector_and_two_workers_render_through_the_store_alone(
    stack_env: dict[str, str], stack_root: Path, s3proxy: RunningS3Proxy, tmp_path: Path
) -> None:
    store, s3 = s3_backend(s3proxy)
    env = {**stack_env, **s3}
    logs = stack_root / "logs"
    url = f"http://127.0.0.1:{env['BEATSTITCH_API_PORT']}"
    homes = [tmp_path / "w1", tmp_path / "w2"]
    with service("projector", env, logs), service("api", env, logs) as api:
        wait_healthy(url, api, logs)
        stack = Stack(url, env, logs, stack_root, api_pid=api.pid)
        procs: list[WorkerProcess] = []
        async with contextlib.AsyncExitStack() as workers:
            for n, home in enumerate(homes, start=1):
                own = {
                    "BEATSTITCH_MEDIA_DIR": str(home / "media"),
                    "BEATSTITCH_ARTIFACTS_DIR": str(home / "artifacts"),
                    "BEATSTITCH_STORAGE_CACHE_DIR": str(home / "cache"),
                    "BEATSTITCH_WORKER_ID": f"nothing-shared-{n}",
                }
                (home / "media").mkdir(parents=True)
                procs.append(
                    await workers.enter_async_context(running_worker({**env, **own}, cwd=home))
                )
            for worker in procs:  # the first beat analysis waits for no pool warm-up
                await worker.wait_for(
                    lambda ln: ln["event"] == "render_worker.pool_ready", timeout_s=120
                )
            account = await sign_up(stack, "nothing-shared@example.com")
            async with stack.client(account.token) as client:
                pid, audio = await ready_project(client, tmp_path / "uploads")
                timeline = await client.post(f"/api/v1/projects/{pid}/timeline")
                assert timeline.status_code in (200, 201), timeline.text
                accepted = await client.post(
                    f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}",
                    json={"kind": "final"},
                )
                assert accepted.status_code == 202, accepted.text
                status_url = accepted.json()["status_url"]
                deadline = time.monotonic() + 240
                job = (await client.get(status_url)).json()
                while job["status"] not in ("complete", "failed") and time.monotonic() < deadline:
                    await asyncio.sleep(1)
                    job = (await client.get(status_url)).json()
                assert job["status"] == "complete", job
                [download] = job["video_urls"]
                video = await client.get(download, follow_redirects=True)
                # An image move over a project photo: the worker fetches the photo from the
                # store (the event names it by key; the API's path is on another disk).
                moved = await image_move(client, pid)
                assert moved["status"] == "completed", moved
            # The render's clips leave the store once it has ended (the joining worker
            # removes them right after its outcome), so a bucket does not grow by a render's
            # worth of clips each time.
            deadline = time.monotonic() + 30
            while (left := [o.key for o in store.list("clips/")]) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            assert left == [], f"clips kept in the store after the render: {left}"

    # The MP4 came from the store (the API's 307 to a presigned URL), whole and playable.
    assert video.status_code == 200 and video.history[0].status_code == 307
    out = tmp_path / "out.mp4"
    out.write_bytes(video.content)
    assert abs((probe(out).duration_ms or 0) - audio["duration_ms"]) <= 1000 / 12 + 1
    assert any(o.key.startswith("renders/") for o in store.list("renders/"))
    assert job["clip_stats"]["placeholder_tasks"] == 0
    # Nothing of the render stays on either worker: no upload, clip, grid copy or MP4.
    for home in homes:
        assert files_left(home) == [], home.name
