"""A whole render through Kafka: request → planner → clippers → assembler → MP4."""

from __future__ import annotations

from pathlib import Path

from domain.request_from_files import prepare_render
from engine.probe import probe
from engine.render_settings import RenderSettings
from engine.sample_media import write_sample_media, write_song
from events.base import make_event
from events.kafka_io import EventProducer
from tests.support.pipeline import lifecycle_until
from tests.support.worker import running_worker


async def test_a_render_request_becomes_an_mp4_of_the_songs_length(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    media = write_sample_media(tmp_path / "media", videos=2, stills=2, size=(320, 180))
    song = write_song(tmp_path / "song", bpm=120.0, bars=4)
    settings = RenderSettings.model_validate(
        {
            "beats_per_cut": 2,
            "transition": {"type": "crossfade", "duration_ms": 250},
            "output": {"width": 320, "height": 180, "fps": 12},
        }
    )
    prepared = prepare_render(song, media, settings, render_job_id="job-e2e")
    segments = len(prepared.edl.segments)
    artifacts = tmp_path / "artifacts"
    env = {
        "BEATSTITCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "BEATSTITCH_TOPIC_PREFIX": topic_prefix,
        "BEATSTITCH_ARTIFACTS_DIR": str(artifacts),
        "BEATSTITCH_MEDIA_DIR": str(tmp_path),
        "BEATSTITCH_PROCESS_POOL_SIZE": "2",
    }
    async with running_worker(env, cwd=tmp_path) as worker:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(make_event(prepared.request, trace_id="trace-e2e"))
        stats_line = await worker.wait_for(
            lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=90
        )
        lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")

    done = lifecycle[-1].payload
    assert stats_line["trace_id"] == "trace-e2e"
    assert done.clip_stats.total_clips == segments == done.clip_stats.success_tasks
    assert done.clip_stats.peak_parallelism >= 1
    out = probe(done.output)
    # Frame-accurate: the MP4 lasts as long as the timeline, within one frame.
    assert abs(out.duration_ms - prepared.edl.total_duration_ms) <= 1000 / 12 + 1
    assert out.has_audio and (out.width, out.height) == (320, 180)
    assert not (artifacts / "render_tmp" / "job_job-e2e").exists()
    progress = [e.payload.progress for e in lifecycle if e.type == "RenderProgress"]
    assert progress == sorted(progress) and progress[-1] == 90.0
    assert {e.trace_id for e in lifecycle} == {"trace-e2e"}
