"""Upload-time proxies made by a worker and used by renders.

A worker takes MediaProxyRequested from the analysis topic, makes the proxy in its pool
(a video or still shaped for the output size, the song as AAC), keeps it in the store and
reports it; a render whose request names the proxies cuts its clips from them. A proxy that
cannot be made is reported with a sentence, and renders read the original."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.probe import probe
from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import MediaProxyCompleted, MediaProxyRequested, RenderRequested
from events.payloads.common import ObjectRef
from events.topics import Topic
from tests.support.pipeline import lifecycle_until, read_until, small_render, worker_env
from tests.support.s3proxy import RunningS3Proxy
from tests.support.stored import by_objects, s3_backend
from tests.support.worker import running_worker

JOB = "job-from-proxies"
SIZE = {"width": 320, "height": 180, "fps": 12}


def proxy_requests(request: RenderRequested) -> list[MediaProxyRequested]:
    """What the API asks for after the uploads: each medium's proxy and the song's."""
    media = [
        MediaProxyRequested(
            asset_id=m.asset_id,
            project_id="p1",
            kind=m.media_type,
            checksum=m.checksum,
            stored=m.stored,
            **SIZE,
        )
        for m in request.media
    ]
    song = MediaProxyRequested(
        asset_id=request.audio.audio_track_id,
        project_id="p1",
        kind="music",
        checksum=request.audio.checksum,
        stored=request.audio.stored,
    )
    missing = MediaProxyRequested(
        asset_id="asset-gone",
        project_id="p1",
        kind="video",
        checksum="0" * 64,
        stored=ObjectRef(key="projects/p1/media/asset-gone.mp4", sha256="0" * 64, size=10),
        **SIZE,
    )
    return [*media, song, missing]


def with_proxies(request: RenderRequested, done: dict[str, MediaProxyCompleted]) -> RenderRequested:
    """The request as the API builds it once the proxies are in the read model."""
    media = [
        m.model_copy(update={"proxies": [done[m.asset_id].proxy]}) if done[m.asset_id].proxy else m
        for m in request.media
    ]
    audio = request.audio.model_copy(update={"proxy": done[request.audio.audio_track_id].music})
    return request.model_copy(update={"media": media, "audio": audio})


async def test_a_worker_makes_each_uploads_proxy_and_renders_cut_from_them(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, s3proxy: RunningS3Proxy
) -> None:
    store, store_env = s3_backend(s3proxy)
    prepared = small_render(tmp_path / "uploads", JOB, bars=4, videos=1, stills=1)
    request = by_objects(prepared.request, store)
    asks = proxy_requests(request)
    env = worker_env(
        kafka_bootstrap,
        topic_prefix,
        tmp_path / "w" / "artifacts",
        BEATSTITCH_MEDIA_DIR=str(tmp_path / "w"),
        BEATSTITCH_STORAGE_CACHE_DIR=str(tmp_path / "w" / "cache"),
        BEATSTITCH_PROCESS_POOL_SIZE="2",
        **store_env,
    )
    async with running_worker(env, cwd=tmp_path) as worker:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            for ask in asks:
                await producer.send(make_event(ask, trace_id=f"proxy-{ask.asset_id}"))
        seen = await read_until(
            kafka_bootstrap,
            topic_prefix,
            Topic.ANALYSIS,
            lambda events: sum(e.type == "MediaProxyCompleted" for e in events) >= len(asks),
        )
        done = {
            e.payload.asset_id: e.payload
            for e in seen
            if isinstance(e.payload, MediaProxyCompleted)
        }
        job = with_proxies(request, done)
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(job, trace_id="trace-proxies"))
        lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
        cut: list[dict[str, Any]] = [
            line
            for line in worker.lines
            if line.get("event") == "render_worker.clip_task_completed"
        ]

    # Each medium's proxy is in the store at its key, shaped for 320x180 by today's recipe.
    for m in request.media:
        proxy = done[m.asset_id].proxy
        assert done[m.asset_id].status == "completed" and proxy is not None
        ext = ".mp4" if m.media_type == "video" else ".jpg"
        assert proxy.key == f"proxies/{m.asset_id}/320x180{ext}"
        assert (proxy.width, proxy.height) == (320, 180)
        assert store.stat(proxy.key) is not None
    music = done[request.audio.audio_track_id].music
    assert music is not None and store.stat(music.key) is not None
    store.fetch(music.key, tmp_path / "music.m4a")
    assert probe(str(tmp_path / "music.m4a")).has_audio
    # An original the store does not hold: the proxy fails with the store's sentence.
    gone = done["asset-gone"]
    assert gone.status == "failed" and "the store holds no object" in gone.error
    # Every clip of the render was cut from a proxy.
    completed = lifecycle[-1].payload
    assert completed.clip_stats.success_tasks == len(prepared.edl.segments)
    assert cut and all(line["from_proxy"] for line in cut), cut


@pytest.mark.parametrize("kind", ["video", "image"])
def test_a_proxy_request_without_the_output_size_is_malformed(kind: str) -> None:
    with pytest.raises(ValueError, match=f"a {kind} proxy needs the output's width"):
        MediaProxyRequested(asset_id="a", project_id="p", kind=kind, checksum="c", path="x.mp4")
