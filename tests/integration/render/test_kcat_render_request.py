"""A render requested by a producer that is not ours (kcat, from the exported schema)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.pipeline import lifecycle_until, small_render, worker_env
from tests.support.worker import running_worker

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "RenderRequested.v2.schema.json"


@needs_kcat
async def test_a_kcat_render_request_completes_like_ours(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    payload = small_render(tmp_path, "job-kcat", bars=4).request.model_dump(mode="json")
    message = foreign_event(
        "RenderRequested",
        2,
        "job-kcat",
        payload,
        event_id="00000000-0000-4000-8000-0000000000ca",
        trace_id="trace-from-kcat",
        occurred_at="2026-11-23T06:00:00Z",
    )
    jsonschema.validate(message, json.loads(SCHEMA.read_text()))
    env = worker_env(kafka_bootstrap, topic_prefix, tmp_path / "artifacts")
    async with running_worker(env, cwd=tmp_path) as worker:
        sent = kcat_produce(
            kafka_bootstrap,
            physical_name(topic_prefix, Topic.RENDER_JOBS),
            "job-kcat",
            json.dumps(message),
        )
        assert sent.returncode == 0, sent.stderr
        stats = await worker.wait_for(
            lambda ln: ln["event"] == "render_worker.clip_stats", timeout_s=180
        )
    assert stats["trace_id"] == "trace-from-kcat"
    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderCompleted")
    done = lifecycle[-1]
    assert done.trace_id == "trace-from-kcat"
    assert done.payload.clip_stats.total_clips == len(payload["edl"]["segments"])
    assert Path(done.payload.output).is_file()
