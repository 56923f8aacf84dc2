"""The hops FFmpeg takes by itself (an HTTP redirect, the segments an HLS playlist names) go
through the worker's egress proxy and are vetted like the first URL: a hop to an internal
address is refused without a connection, while an allowed source still renders."""

from __future__ import annotations

from pathlib import Path

from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.listener import SilentPort
from tests.support.media_server import media_server, write_hls
from tests.support.pipeline import (
    allow_remote,
    clip_events_of,
    lifecycle_until,
    small_render,
    worker_env,
)
from tests.support.worker import running_worker


async def test_redirects_and_playlist_segments_to_internal_addresses_are_refused(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, silent_port: SilentPort
) -> None:
    internal = silent_port.port
    prepared = small_render(tmp_path, "job-hops", bars=4, videos=3, stills=1)
    videos = [m for m in prepared.request.media if m.media_type == "video"]
    plain, redirected, playlist = videos
    served = tmp_path / "served"
    served.mkdir()
    (served / "plain.mp4").write_bytes(Path(plain.local_path or "").read_bytes())
    hls = write_hls(Path(playlist.local_path or ""), served / "evil")
    # The playlist is on the allowed server; its segments are on an internal address.
    hls.write_text(
        "\n".join(
            f"http://127.0.0.1:{internal}/{line}" if line.endswith(".ts") else line
            for line in hls.read_text().splitlines()
        )
        + "\n"
    )

    with media_server(served) as (base, hits):
        remote = {
            plain.asset_id: f"{base}/ok/plain.mp4",
            redirected.asset_id: f"{base}/redirect/{internal}/secret.mp4",
            playlist.asset_id: f"{base}/ok/evil/{hls.name}",
        }
        media = [
            m.model_copy(update={"remote_url": remote[m.asset_id]}) if m.asset_id in remote else m
            for m in prepared.request.media
        ]
        request = prepared.request.model_copy(update={"media": media})
        env = worker_env(
            kafka_bootstrap, topic_prefix, tmp_path / "artifacts", **allow_remote(base)
        )
        async with running_worker(env, cwd=tmp_path) as worker:
            async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
                await producer.send(make_event(request, trace_id="trace-hops"))
            done = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
            refusals = [ln for ln in worker.lines if ln["event"] == "render_worker.egress_refused"]
        assert hits["redirect"] >= 1 and hits["ok"] >= 1

    clips = await clip_events_of(
        kafka_bootstrap, topic_prefix, "job-hops", len(request.edl.segments)
    )
    fell_back = {
        e.payload.video_id
        for e in clips
        if e.type == "ClipTaskFellBack" and e.payload.from_source.value == "remote"
    }
    # The allowed source rendered from the server; the other two fell back to their local copy.
    assert fell_back == {redirected.asset_id, playlist.asset_id}
    assert done[-1].payload.clip_stats.placeholder_tasks == 0
    # The operator sees why in the worker's log.
    assert refusals and all("loopback, link-local or private" in r["reason"] for r in refusals)
    # The internal address never saw a connection.
    assert not silent_port.was_connected()
