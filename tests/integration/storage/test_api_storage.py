"""The API with an S3 store (BEATSTITCH_STORAGE_URL=s3://…): uploads go into the bucket under
their keys and leave nothing on the API's disk, files and renders are fetched from the store,
and a store that does not answer is a 503 that names it, never a 500."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.sample_media import write_tone
from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import ClipStats, RenderCompleted
from events.payloads.common import ObjectRef
from local_stack.ports import free_tcp_ports
from local_stack.s3proxy.server import LocalS3Proxy
from storage.keys import render_key
from tests.support.api_stack import Stack, new_user_project, second_api, service, wait_healthy
from tests.support.media_gen import write_video
from tests.support.s3proxy import S3PROXY_LIBS_DIR, RunningS3Proxy
from tests.support.sample_requests import render_request

STATS = ClipStats(
    total_tasks=1,
    success_tasks=1,
    failed_tasks=0,
    placeholder_tasks=0,
    avg_task_duration_ms=1.0,
    p95_task_duration_ms=1.0,
    peak_parallelism=1,
    fallback_reason_counts={},
    total_clips=1,
)


def s3_settings(endpoint: str, access_key: str, secret_key: str, bucket: str) -> dict[str, str]:
    """The BEATSTITCH_* settings of an S3 store on `bucket` of the server at `endpoint`."""
    return {
        "BEATSTITCH_STORAGE_URL": f"s3://{bucket}",
        "BEATSTITCH_S3_ENDPOINT_URL": endpoint,
        "BEATSTITCH_S3_ACCESS_KEY_ID": access_key,
        "BEATSTITCH_S3_SECRET_ACCESS_KEY": secret_key,
    }


@pytest.fixture(scope="module")
def bucket(s3proxy: RunningS3Proxy) -> str:
    """The module's fresh bucket."""
    return s3proxy.new_bucket("api-storage")


@pytest.fixture(scope="module")
def s3_stack(
    stack_env: dict[str, str], stack_root: Path, s3proxy: RunningS3Proxy, bucket: str
) -> Iterator[Stack]:
    """The API and the projector with the S3 store."""
    s3 = s3_settings(s3proxy.endpoint_url, s3proxy.access_key, s3proxy.secret_key, bucket)
    env = {**stack_env, **s3}
    logs = stack_root / "logs"
    url = f"http://127.0.0.1:{env['BEATSTITCH_API_PORT']}"
    with service("projector", env, logs), service("api", env, logs) as api:
        wait_healthy(url, api, logs)
        yield Stack(url, env, logs, stack_root, api_pid=api.pid)


def files_under(folder: Path) -> list[Path]:
    """Every file below a folder."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def test_an_upload_lands_in_the_bucket_and_nothing_stays_on_the_api_disk(
    s3_stack: Stack, s3proxy: RunningS3Proxy, bucket: str, tmp_path: Path
) -> None:
    token, pid = await new_user_project(s3_stack, "s3-upload")
    clip = write_video(tmp_path / "clip.mp4", width=160, height=120, fps=24, frames=24)
    async with s3_stack.client(token) as client:
        with clip.open("rb") as f:
            made = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        assert made.status_code == 201, made.text
        asset = made.json()
        stored = s3proxy.store(bucket).stat(f"projects/{pid}/media/{asset['id']}.mp4")
        assert stored is not None
        assert (stored.sha256, stored.size) == (asset["checksum"], clip.stat().st_size)
        assert asset["checksum"] == hashlib.sha256(clip.read_bytes()).hexdigest()
        thumb_key = f"projects/{pid}/media/thumbnails/{asset['id']}.jpg"
        assert s3proxy.store(bucket).stat(thumb_key) is not None
        assert files_under(s3_stack.root / "media") == []
        # The file and the thumbnail come from the store (a short-lived URL of it).
        got = await client.get(
            f"/api/v1/projects/{pid}/media/{asset['id']}/file", follow_redirects=True
        )
        assert got.status_code == 200, got.text
        assert got.content == clip.read_bytes()
        thumb = await client.get(asset["thumbnail_url"], follow_redirects=True)
        assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
        # The studio's way: through the API, no redirect to follow.
        through = await client.get(f"{asset['thumbnail_url']}?stream=true")
        assert through.status_code == 200 and through.content == thumb.content


async def completed_render(
    stack: Stack, token: str, pid: str, s3proxy: RunningS3Proxy, bucket: str, video: Path
) -> tuple[str, str]:
    """A render of the user's workspace whose RenderCompleted (v2) names its MP4 in the
    bucket (put there as the assembler does): (workspace id, job id)."""
    async with stack.client(token) as client:
        workspace = (await client.get(f"/api/v1/projects/{pid}")).json()["workspace_id"]
    job = f"render-s3-{pid[-8:]}"
    stored = s3proxy.store(bucket).put_file(render_key(job), video, "video/mp4")
    request = render_request(job).model_copy(update={"workspace_id": workspace, "project_id": pid})
    done = RenderCompleted(
        render_job_id=job,
        file_size=stored.size,
        duration_ms=1000,
        clip_stats=STATS,
        stored=ObjectRef(key=stored.key, sha256=stored.sha256, size=stored.size),
    )
    env = stack.env
    async with EventProducer(
        env["BEATSTITCH_KAFKA_BOOTSTRAP"], env["BEATSTITCH_TOPIC_PREFIX"]
    ) as p:
        await p.send(make_event(request, trace_id="trace-s3"))
        await p.send(make_event(done, trace_id="trace-s3"))
    deadline = time.monotonic() + 30
    async with stack.client(token) as client:
        while time.monotonic() < deadline:
            got = await client.get(f"/api/v1/video/workspaces/{workspace}/render/jobs/{job}")
            if got.status_code == 200 and got.json()["status"] == "complete":
                return workspace, job
            await asyncio.sleep(0.2)
    raise AssertionError(f"the projector did not fold render {job} in 30 s")


async def test_a_render_in_the_store_downloads_from_a_presigned_url_with_range(
    s3_stack: Stack, s3proxy: RunningS3Proxy, bucket: str, tmp_path: Path
) -> None:
    token, pid = await new_user_project(s3_stack, "s3-render")
    video = write_video(tmp_path / "out.mp4", width=160, height=120, fps=24, frames=48)
    workspace, job = await completed_render(s3_stack, token, pid, s3proxy, bucket, video)
    async with s3_stack.client(token) as client:
        answer = await client.get(
            f"/api/v1/video/workspaces/{workspace}/render/jobs/{job}/download"
        )
    assert answer.status_code == 307, answer.text
    location = answer.headers["location"]
    assert location.startswith(s3proxy.endpoint_url) and "X-Amz-Signature" in location
    async with httpx.AsyncClient() as anyone:
        part = await anyone.get(location, headers={"Range": "bytes=0-99"})
        whole = await anyone.get(location)
    assert part.status_code == 206 and part.content == video.read_bytes()[:100]
    assert whole.content == video.read_bytes()
    assert f"{job}.mp4" in whole.headers.get("content-disposition", "")
    # Its poster is made from the stored video on the first request and kept beside it.
    async with s3_stack.client(token) as client:
        poster = await client.get(
            f"/api/v1/video/workspaces/{workspace}/render/jobs/{job}/poster",
            follow_redirects=True,
        )
    assert poster.status_code == 200 and poster.content[:3] == b"\xff\xd8\xff", poster.text
    assert s3proxy.store(bucket).stat(f"renders/{job}.jpg") is not None
    # The studio may fetch from this server only: with ?stream=true the bytes come through
    # the API, whole, instead of a 307 its page policy would refuse to follow.
    base = f"/api/v1/video/workspaces/{workspace}/render/jobs/{job}"
    async with s3_stack.client(token) as client:
        streamed = await client.get(f"{base}/download?stream=true")
        picture = await client.get(f"{base}/poster?stream=true")
    assert streamed.status_code == 200 and streamed.content == video.read_bytes()
    assert streamed.headers["content-type"] == "video/mp4"
    assert picture.status_code == 200 and picture.content == poster.content


async def test_the_studio_gets_the_song_from_the_api_not_from_the_bucket(
    s3_stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(s3_stack, "s3-song")
    song = write_tone(tmp_path / "song.wav", 1.0)
    async with s3_stack.client(token) as client:
        with song.open("rb") as f:
            made = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
        assert made.status_code == 202, made.text
        got = await client.get(f"/api/v1/projects/{pid}/audio/file")
    # The studio may fetch from this server only (its CSP): the bytes, not a 307 to S3.
    assert got.status_code == 200, got.text
    assert got.content == song.read_bytes()


async def test_a_store_that_does_not_answer_is_a_503_naming_it(
    s3_stack: Stack, s3proxy: RunningS3Proxy, bucket: str, tmp_path: Path
) -> None:
    token, pid = await new_user_project(s3_stack, "s3-down")
    video = write_video(tmp_path / "out.mp4", width=160, height=120, fps=24, frames=24)
    workspace, job = await completed_render(s3_stack, token, pid, s3proxy, bucket, video)
    (port,) = free_tcp_ports(1)
    other = LocalS3Proxy(S3PROXY_LIBS_DIR, tmp_path / "s3-other", port, bucket=bucket)
    info = other.start()
    try:
        keys = info.keys
        settings = s3_settings(info.endpoint_url, keys.access_key, keys.secret_key, bucket)
        with second_api(s3_stack, s3_stack.logs, **settings) as down:
            other.stop()
            async with down.client(token) as client:
                answer = await client.get(
                    f"/api/v1/video/workspaces/{workspace}/render/jobs/{job}/download"
                )
    finally:
        other.stop()
    assert answer.status_code == 503, answer.text
    sentence = answer.json()["detail"]
    assert f"cannot reach the S3 endpoint {info.endpoint_url}" in sentence
    assert repr(bucket) in sentence
