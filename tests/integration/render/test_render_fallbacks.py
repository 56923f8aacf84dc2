"""Remote sources that fail on purpose: retries, fallbacks to the local copy and to the
placeholder, each with its reason; the render still completes with every segment."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from events.base import make_event
from events.codec import encode
from events.kafka_io import EventProducer
from events.payloads import RenderClipConfig, RenderConfigUpdated
from events.topics import Topic, physical_name
from local_stack.ports import free_tcp_ports
from tests.support.media_server import media_server, write_hls
from tests.support.pipeline import (
    allow_remote,
    clip_events_of,
    lifecycle_until,
    small_render,
    worker_env,
)
from tests.support.worker import running_worker


def metric(text: str, name: str, **labels: str) -> float:
    """One sample of a Prometheus text exposition (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return 0.0


async def test_failing_sources_retry_fall_back_and_still_complete(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-fb", bars=6, beats_per_cut=2, videos=4, stills=1)
    videos = [m for m in prepared.request.media if m.media_type == "video"]
    assert len(videos) == 4
    healthy, flaky, stalled, broken = videos
    served = tmp_path / "served"
    hls = write_hls(Path(healthy.local_path or ""), served / "healthy")
    for v in (flaky, stalled, broken):
        target = served / f"{v.asset_id}.mp4"
        target.write_bytes(Path(v.local_path or "").read_bytes())

    with media_server(served) as (base, hits):
        remote = {
            healthy.asset_id: (f"{base}/ok/healthy/{hls.name}", healthy.local_path),
            flaky.asset_id: (f"{base}/error500/{flaky.asset_id}.mp4", flaky.local_path),
            stalled.asset_id: (f"{base}/stall/{stalled.asset_id}.mp4", stalled.local_path),
            # No local copy either: the placeholder is all that is left.
            broken.asset_id: (
                f"{base}/truncated/{broken.asset_id}.mp4",
                str(tmp_path / "nonexistent" / "b.mp4"),
            ),
        }
        media = [
            m.model_copy(
                update={"remote_url": remote[m.asset_id][0], "local_path": remote[m.asset_id][1]}
            )
            if m.asset_id in remote
            else m
            for m in prepared.request.media
        ]
        request = prepared.request.model_copy(update={"media": media})
        uses = Counter(s.asset_id for s in request.edl.segments)

        (port,) = free_tcp_ports(1)
        env = worker_env(
            kafka_bootstrap,
            topic_prefix,
            tmp_path / "artifacts",
            **allow_remote(base),
            BEATSTITCH_CLIP_CONNECT_TIMEOUT_S="1",
            BEATSTITCH_CLIP_READ_TIMEOUT_S="1",
            BEATSTITCH_WORKER_METRICS_PORT=str(port),
        )
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            config = RenderClipConfig(max_retry=1, retry_backoff_base_ms=50)
            await producer.send_raw(
                physical_name(topic_prefix, Topic.RENDER_CONFIG),
                encode(make_event(RenderConfigUpdated(version=1, config=config), trace_id="c")),
                key=b"render_clip_config",
            )
            async with running_worker(env, cwd=tmp_path) as worker:
                await worker.wait_for(lambda ln: ln.get("config_version") == 1)
                await producer.send(make_event(request, trace_id="trace-fb"))
                await worker.wait_for(
                    lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=300
                )
                metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
                exceptions = [
                    ln for ln in worker.lines if ln["event"] == "clip_source.retrieve_exception"
                ]

    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    stats = lifecycle[-1].payload.clip_stats
    segments = len(request.edl.segments)
    assert stats.total_clips == segments  # every segment has a clip, placeholders included
    assert stats.placeholder_tasks == uses[broken.asset_id]
    assert stats.success_tasks == segments - uses[broken.asset_id]
    assert stats.fallback_reason_counts == {
        "cdn_error": uses[flaky.asset_id],
        "timeout": uses[stalled.asset_id],
        "decode_error": uses[broken.asset_id],
        "not_found": uses[broken.asset_id],
    }
    assert hits["ok"] >= uses[healthy.asset_id]  # the HLS source was really fetched

    events = await clip_events_of(kafka_bootstrap, topic_prefix, "job-fb", segments)
    retries = Counter(e.payload.reason.value for e in events if e.type == "ClipTaskRetrying")
    # max_retry 1: each flaky or stalled task is tried twice on its remote before falling back
    assert retries == {"cdn_error": uses[flaky.asset_id], "timeout": uses[stalled.asset_id]}
    backoffs = [e.payload.backoff_ms for e in events if e.type == "ClipTaskRetrying"]
    assert all(50 <= b <= 75 for b in backoffs)  # base 50 ms * 2^0 plus jitter

    # The worker's counters add up to what the events say.
    failures: dict[str, Any] = Counter()
    for e in events:
        if e.type in ("ClipTaskRetrying", "ClipTaskFellBack"):
            failures[e.payload.reason.value] += 1
    for reason, count in failures.items():
        assert metric(metrics, "render_clip_failures_total", reason=reason) == count, reason
    assert metric(metrics, "render_clip_placeholder_total") == stats.placeholder_tasks
    assert metric(metrics, "render_clip_duration_ms_count") == stats.total_clips
    assert len(exceptions) == sum(failures.values())
    assert {ln["trace_id"] for ln in exceptions} == {"trace-fb"}
    assert json.dumps(stats.fallback_reason_counts)  # serialisable as stored
