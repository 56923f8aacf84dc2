"""Two workers with nothing shared but Kafka and the object store render one request.

Each worker has its own media, artifacts and cache folders. The request names every medium
and the song by its object in the store (no path); the clips each worker cuts go into the
store, whichever worker joins fetches them, and the render is kept in the store. Run on
both backends: S3 (S3Proxy) and a folder named by a file:// URL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.probe import probe
from events.base import make_event
from events.kafka_io import EventProducer
from events.topics import Topic
from storage.object_store import ObjectStore
from tests.support.pipeline import lifecycle_until, read_until, small_render, worker_env
from tests.support.stored import by_objects, files_left, folder_backend, s3_backend
from tests.support.worker import running_worker

JOB = "job-nothing-shared"


@pytest.mark.parametrize("backend", ["s3", "folder"])
async def test_two_workers_that_share_no_disk_render_through_the_store(
    backend: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    prepared = small_render(tmp_path / "uploads", JOB, bars=4, videos=2, stills=2)
    make: Callable[[], tuple[ObjectStore, dict[str, str]]] = (
        (lambda: s3_backend(request.getfixturevalue("s3proxy")))
        if backend == "s3"
        else (lambda: folder_backend(tmp_path / "store"))
    )
    store, store_env = make()
    job = by_objects(prepared.request, store)
    homes = [tmp_path / "w1", tmp_path / "w2"]
    envs = [
        worker_env(
            kafka_bootstrap,
            topic_prefix,
            home / "artifacts",
            BEATSTITCH_MEDIA_DIR=str(home / "media"),
            BEATSTITCH_STORAGE_CACHE_DIR=str(home / "cache"),
            BEATSTITCH_PROCESS_POOL_SIZE="2",
            **store_env,
        )
        for home in homes
    ]
    for home in homes:
        (home / "media").mkdir(parents=True)
    async with contextlib.AsyncExitStack() as stack:
        for env, home in zip(envs, homes, strict=True):
            await stack.enter_async_context(running_worker(env, cwd=home))
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(job, trace_id="trace-nothing-shared"))
        lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
        # The joining worker removes the render's clips from the store right after its outcome.
        deadline = time.monotonic() + 30
        while (kept := list(store.list(f"clips/{JOB}/"))) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)

    done = lifecycle[-1].payload
    segments = len(prepared.edl.segments)
    # The render is an object in the store, named by key and checksum, with no path.
    assert done.output is None and done.stored is not None
    assert done.stored.key == f"renders/{JOB}.mp4"
    assert done.clip_stats.success_tasks == segments and done.clip_stats.placeholder_tasks == 0
    fetched = tmp_path / "downloaded.mp4"
    assert store.fetch(done.stored.key, fetched).sha256 == done.stored.sha256
    out = probe(str(fetched))
    assert abs(out.duration_ms - prepared.edl.total_duration_ms) <= 1000 / 12 + 1
    assert out.has_audio and (out.width, out.height) == (320, 180)
    # Every clip went through the store: no clip names a path of the worker that cut it.
    clips = await read_until(
        kafka_bootstrap,
        topic_prefix,
        Topic.CLIP_EVENTS,
        lambda seen: sum(e.type == "ClipTaskSucceeded" for e in seen) >= segments,
    )
    succeeded = [e.payload for e in clips if e.type == "ClipTaskSucceeded"]
    assert all(p.clip is not None and p.clip_path is None for p in succeeded)
    assert all(p.clip.key.startswith(f"clips/{JOB}/") for p in succeeded if p.clip)
    # Once the render had ended they left the store: it does not grow by a render's clips.
    assert kept == [], [o.key for o in kept]
    # Nothing is left in either worker's folders but its cache of the store.
    for home in homes:
        assert files_left(home) == [], home.name
