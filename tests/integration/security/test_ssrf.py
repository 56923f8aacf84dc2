"""Remote sources from a foreign producer (kcat) that point at files, other protocols or
internal addresses are refused with a reason, before any connection is made."""

from __future__ import annotations

import json
from pathlib import Path

from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.listener import SilentPort
from tests.support.pipeline import clip_events_of, lifecycle_until, small_render, worker_env
from tests.support.worker import running_worker


@needs_kcat
async def test_internal_and_non_http_sources_are_refused_without_a_connection(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, silent_port: SilentPort
) -> None:
    port = silent_port.port
    request = small_render(tmp_path, "job-ssrf", bars=4, videos=3, stills=2).request
    urls = [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        f"http://127.0.0.1:{port}/v.mp4",
        f"concat:http://127.0.0.1:{port}/a.mp4|/etc/passwd",
        "subfile,,start,0,end,100,,:/etc/passwd",
    ]
    assert len(request.media) == len(urls)
    media = [
        m.model_copy(update={"remote_url": u}) for m, u in zip(request.media, urls, strict=True)
    ]
    payload = request.model_copy(update={"media": media}).model_dump(mode="json")
    message = foreign_event(
        "RenderRequested",
        2,
        "job-ssrf",
        payload,
        event_id="00000000-0000-4000-8000-0000000000f1",
        trace_id="trace-ssrf",
    )
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path):
        sent = kcat_produce(
            kafka_bootstrap,
            physical_name(topic_prefix, Topic.RENDER_JOBS),
            "job-ssrf",
            json.dumps(message),
        )
        assert sent.returncode == 0, sent.stderr
        done = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    clips = await clip_events_of(
        kafka_bootstrap, topic_prefix, "job-ssrf", len(request.edl.segments)
    )
    # Every clip fell back from its remote source with the reason, and rendered its local copy.
    refused = [
        e.payload
        for e in clips
        if e.type == "ClipTaskFellBack" and e.payload.from_source.value == "remote"
    ]
    assert len(refused) == len(request.edl.segments)
    assert {p.reason.value for p in refused} == {"source_refused"}
    assert all(p.error.startswith("source_refused:") for p in refused)
    assert not [e for e in clips if e.type == "ClipTaskRetrying"]
    assert done[-1].payload.clip_stats.placeholder_tasks == 0
    # The listening socket never saw a connection.
    assert not silent_port.was_connected()
