"""A render job's provenance: which engine and workers made its output, folded from its events
and shown by the API (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import av
import pytest
from pydantic import ValidationError

from agents.planning import plan_render
from api.routes.renders import job_out
from engine.versions import engine_versions
from events.base import Envelope, Payload, make_event
from events.codec import decode, encode
from events.payloads import (
    ClipStats,
    ClipTaskStarted,
    RenderCompleted,
    RenderProgress,
    RenderStarted,
)
from events.payloads.render import EngineVersions, ProgressStatus
from projections.batch import fold_batch
from projections.models import RenderJob
from projections.store import BatchState, job_to_row
from tests.support.clip_events import task_lifecycle
from tests.support.sample_requests import render_request

JOB = "job-prov"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENGINE = EngineVersions(beatstitch="0.1.0", pyav="18.1.0", ffmpeg="8.1.2", libavcodec="62.28.102")
STATS = ClipStats(
    total_tasks=2,
    success_tasks=2,
    failed_tasks=0,
    placeholder_tasks=0,
    avg_task_duration_ms=1.0,
    p95_task_duration_ms=1.0,
    peak_parallelism=1,
    fallback_reason_counts={},
    total_clips=2,
)


def stamped(payloads: list[Payload]) -> list[Envelope[Any]]:
    return [
        make_event(p, trace_id="t", occurred_at=T0 + timedelta(seconds=i), event_id=f"e{i}")
        for i, p in enumerate(payloads)
    ]


def started() -> RenderStarted:
    return RenderStarted(render_job_id=JOB, total_tasks=2, task_ids=["a", "b"])


def joining(worker: str | None, engine: EngineVersions | None = ENGINE) -> RenderProgress:
    """The assembler's report that it starts joining the clips."""
    return RenderProgress(
        render_job_id=JOB,
        status=ProgressStatus.ASSEMBLING,
        progress=80.0,
        message="joining 2 clips with transitions and music",
        worker_id=worker,
        engine=engine,
    )


def completed(url: str | None = None) -> RenderCompleted:
    return RenderCompleted(
        render_job_id=JOB,
        output="renders/job-prov.mp4",
        file_size=10,
        duration_ms=8000,
        clip_stats=STATS,
        output_url=url,
    )


def clip_payloads() -> list[Any]:
    """Two tasks: one started on w-b and finished there, one started on w-a, retried and
    finished by w-c (the worker that rendered it)."""
    first = task_lifecycle(JOB, f"{JOB}-seg0000", index=0)
    second = task_lifecycle(JOB, f"{JOB}-seg0001", index=1)
    first[1] = first[1].model_copy(update={"worker_id": "w-b"})
    second[1] = second[1].model_copy(update={"worker_id": "w-a"})
    first[-1] = first[-1].model_copy(update={"worker_id": "w-b"})
    second[-1] = second[-1].model_copy(update={"worker_id": "w-c"})
    return [*first, *second]


def folded_row(payloads: list[Any]) -> dict[str, Any]:
    after, _ = fold_batch(BatchState(), stamped(payloads))
    return job_to_row(after.jobs[JOB], after.clips.get(JOB))


def test_a_rendered_job_names_its_engine_clip_workers_and_joiner() -> None:
    row = folded_row(
        [
            render_request(JOB),
            started(),
            *clip_payloads(),
            joining("w-join"),
            completed("https://cdn.example.com/job-prov.mp4"),
        ]
    )
    assert row["engine_versions"] == ENGINE.model_dump()
    # w-a only started a clip that w-c rendered: the clip workers are those that rendered.
    assert row["clip_worker_ids"] == ["w-b", "w-c"]
    assert row["assembler_worker_id"] == "w-join"
    assert row["output_url"] == "https://cdn.example.com/job-prov.mp4"


def test_a_join_taken_over_after_a_crash_names_the_worker_that_finished_it() -> None:
    row = folded_row(
        [render_request(JOB), started(), joining("w-died"), joining("w-next"), completed()]
    )
    assert row["assembler_worker_id"] == "w-next" and row["status"] == "complete"


def test_a_re_sent_plan_or_outcome_is_the_same_event_again() -> None:
    # Their event ids are derived from the request and the job: a re-plan or a join
    # finished again by another worker must carry the same payload, so they name no worker.
    assert "worker_id" not in RenderStarted.model_fields
    assert "worker_id" not in RenderCompleted.model_fields
    first = plan_render(make_event(render_request(JOB), trace_id="t", event_id="req-1"))
    again = plan_render(make_event(render_request(JOB), trace_id="t", event_id="req-1"))
    assert first.started == again.started


def test_events_written_before_provenance_leave_it_empty_and_fold_as_before() -> None:
    clips = task_lifecycle(JOB, f"{JOB}-seg0000")  # ClipTaskSucceeded without a worker
    old_joining = joining(None, None)
    row = folded_row([render_request(JOB), started(), *clips, old_joining, completed()])
    assert row["engine_versions"] is None
    assert row["assembler_worker_id"] is None and row["output_url"] is None
    # The clip's worker still comes from its ClipTaskStarted.
    started_by = next(p for p in clips if isinstance(p, ClipTaskStarted)).worker_id
    assert row["clip_worker_ids"] == [started_by]
    assert row["status"] == "complete"


def test_an_old_progress_report_without_the_new_fields_still_decodes() -> None:
    wire = json.loads(encode(make_event(joining("w-join"), trace_id="t")))
    del wire["payload"]["worker_id"], wire["payload"]["engine"]
    env = decode(json.dumps(wire).encode())
    assert env.payload.worker_id is None and env.payload.engine is None


def test_an_output_url_that_is_not_http_is_refused_at_decoding() -> None:
    with pytest.raises(ValidationError):
        completed(url="file:///etc/passwd")


def test_the_engine_versions_are_the_installed_ones() -> None:
    engine = EngineVersions(**engine_versions())
    assert engine.beatstitch != "unknown" and engine.pyav == av.__version__


def test_the_api_shows_provenance_with_the_download_url_first() -> None:
    row = folded_row(
        [
            render_request(JOB),
            started(),
            *clip_payloads(),
            joining("w-join"),
            completed("https://cdn.example.com/job-prov.mp4"),
        ]
    )
    out = job_out(RenderJob(**row))
    p = out.provenance
    assert p.assembling_worker == "w-join"
    assert p.clip_workers == ["w-b", "w-c"]
    assert p.engine_version == ENGINE.model_dump()
    assert p.render_settings == row["render_settings"]
    assert p.output_urls == [out.video_urls[0], "https://cdn.example.com/job-prov.mp4"]


def test_a_job_not_complete_shows_no_download_url_in_its_provenance() -> None:
    row = folded_row([render_request(JOB), started()])
    out = job_out(RenderJob(**row))
    assert out.provenance.output_urls == [] and out.provenance.clip_workers == []
