"""Paths and ids from a foreign producer (kcat) never make a worker read or write outside
its media and artifacts folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from events.topic_reader import follow
from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.pipeline import clip_events_of, lifecycle_until, small_render, worker_env
from tests.support.worker import running_worker


def produce(bootstrap: str, prefix: str, key: str, payload: dict, event_id: str) -> None:  # type: ignore[type-arg]
    message = foreign_event(
        "RenderRequested", 2, key, payload, event_id=event_id, trace_id="trace-attack"
    )
    sent = kcat_produce(
        bootstrap, physical_name(prefix, Topic.RENDER_JOBS), key, json.dumps(message)
    )
    assert sent.returncode == 0, sent.stderr


@needs_kcat
async def test_traversing_ids_are_dead_lettered_and_outside_paths_are_never_read(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    inside, artifacts, outside = tmp_path / "inside", tmp_path / "artifacts", tmp_path / "outside"
    request = small_render(inside, "job-paths", bars=4, videos=2, stills=1).request
    outside.mkdir()
    videos = [m for m in request.media if m.media_type == "video"]
    # A real video outside the media root, reached through a symlink inside it: if the
    # worker followed it, the clip would render from it.
    secret = outside / "secret.mp4"
    shutil.copy(videos[1].local_path or "", secret)
    link = inside / "media" / "link.mp4"
    link.symlink_to(secret)
    escape = {videos[0].asset_id: "/etc/passwd", videos[1].asset_id: str(link)}
    media = [
        m.model_copy(update={"local_path": escape.get(m.asset_id, m.local_path)})
        for m in request.media
    ]
    payload = request.model_copy(update={"media": media}).model_dump(mode="json")
    traversal = {**payload, "render_job_id": "x/../../../outside/escaped"}

    env = worker_env(kafka_bootstrap, topic_prefix, artifacts, BEATSTITCH_MEDIA_DIR=str(inside))
    async with running_worker(env, cwd=tmp_path) as worker:
        produce(
            kafka_bootstrap,
            topic_prefix,
            "job-paths",
            payload,
            "00000000-0000-4000-8000-0000000000e2",
        )
        done = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
        produce(
            kafka_bootstrap,
            topic_prefix,
            "x/../../../outside/escaped",
            traversal,
            "00000000-0000-4000-8000-0000000000e1",
        )
        await worker.wait_for(lambda ln: "dead_letter" in ln["event"], timeout_s=60)
    clips = await clip_events_of(
        kafka_bootstrap, topic_prefix, "job-paths", len(request.edl.segments)
    )

    # The user sees placeholders where the sources pointed outside, and why.
    by_video: dict[str, set[str]] = {}
    for e in clips:
        if e.type == "ClipTaskFellBack" and e.payload.from_source.value == "local":
            by_video.setdefault(e.payload.video_id, set()).add(e.payload.reason.value)
    assert by_video[videos[0].asset_id] == {"path_outside_root"}
    assert by_video[videos[1].asset_id] == {"path_outside_root"}
    assert not [
        e
        for e in clips
        if e.type == "ClipTaskSucceeded"
        and e.payload.video_id in escape
        and e.payload.source_type.value == "local"
    ]
    # The render ends inside the artifacts folder; nothing was written outside.
    assert Path(done[-1].payload.output).resolve().is_relative_to(artifacts.resolve())
    assert sorted(p.name for p in outside.iterdir()) == ["secret.mp4"]
    assert not (tmp_path / "escaped").exists()
    # The traversing id never decoded: it is a dead letter with its reason.
    async with follow(
        kafka_bootstrap, [physical_name(topic_prefix, Topic.DEAD_LETTER)], until_end=True
    ) as reader:
        letters = [json.loads(r.value) async for r in reader.records()]
    assert any(
        "invalid RenderRequested" in x["reason"] and "should match pattern" in x["reason"]
        for x in letters
    ), letters
