"""Oversized requests from a producer that is not ours (kcat): a 2 MB event is refused by the
broker and never reaches a worker; an EDL over the segment cap that fits in a message is
planned into a RenderFailed with a sentence, and the partition goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.render_request import media_asset
from engine.sample_media import uniform_edl
from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.pipeline import lifecycle_until, small_render, worker_env
from tests.support.worker import running_worker

pytestmark = needs_kcat


def envelope(job: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A RenderRequested envelope as a foreign producer writes it."""
    event_id = f"00000000-0000-4000-8000-{abs(hash(job)) % 10**12:012d}"
    return foreign_event(
        "RenderRequested", 2, job, payload, event_id=event_id, trace_id=f"trace-{job}"
    )


async def test_oversized_foreign_requests_are_refused_or_fail_with_a_reason(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    prepared = small_render(tmp_path, "job-big", bars=2)
    topic = physical_name(topic_prefix, Topic.RENDER_JOBS)
    assets = [media_asset(m, m.local_path or "") for m in prepared.request.media]
    edl = uniform_edl(assets, count=600, segment_ms=100, fps=12, width=320, height=180)
    many = prepared.request.model_copy(
        update={"render_job_id": "job-many", "edl": edl, "edl_hash": edl.edl_hash}
    ).model_dump(mode="json")
    many_message = json.dumps(envelope("job-many", many))
    assert len(many_message) < 900_000  # it fits in a Kafka message: the planner must cap it

    huge = envelope("job-huge", dict(many, render_job_id="job-huge"))
    huge_message = json.dumps({**huge, "padding": "x" * 2_000_000})
    assert len(huge_message) > 2_000_000

    # A segment takes about 1 KB of JSON, so the default cap (1,000) is near what a message
    # holds; this worker's lower cap lets a request over it fit.
    env = worker_env(
        kafka_bootstrap, topic_prefix, tmp_path / "artifacts", BEATSTITCH_MAX_SEGMENTS="500"
    )
    async with running_worker(env, cwd=tmp_path) as worker:
        refused = kcat_produce(kafka_bootstrap, topic, "job-huge", huge_message)
        # What the foreign producer sees: the broker's refusal, nothing written.
        assert refused.returncode != 0
        assert "too large" in refused.stderr.lower(), refused.stderr
        accepted = kcat_produce(kafka_bootstrap, topic, "job-many", many_message)
        assert accepted.returncode == 0, accepted.stderr
        rejected = await worker.wait_for(
            lambda ln: ln["event"] == "render_worker.render_rejected", timeout_s=120
        )
    assert rejected["render_job_id"] == "job-many"
    lifecycle = await lifecycle_until(kafka_bootstrap, topic_prefix, "RenderFailed")
    failed = lifecycle[-1].payload
    assert failed.render_job_id == "job-many" and failed.error_code == "too_many_segments"
    assert "600 segments, more than the 500" in failed.error
    assert {e.payload.render_job_id for e in lifecycle} == {"job-many"}  # job-huge never came
