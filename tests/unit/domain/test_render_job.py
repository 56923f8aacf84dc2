"""The render job fold: its status vocabulary, worked examples and its promises (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.render_job import JobState, JobStatus, fold_job
from events.base import Envelope, Payload, make_event
from events.payloads import (
    ClipStats,
    RenderCancelled,
    RenderCompleted,
    RenderFailed,
    RenderProgress,
    RenderStarted,
)
from tests.support.sample_requests import render_request

JOB = "job-1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
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
    """Envelopes one second apart, in the given order."""
    return [
        make_event(p, trace_id="t", occurred_at=T0 + timedelta(seconds=i), event_id=f"e{i}")
        for i, p in enumerate(payloads)
    ]


def fold_all(events: list[Envelope[Any]], job: JobState | None = None) -> JobState:
    for env in events:
        job = fold_job(job, env)
    assert job is not None
    return job


def lifecycle() -> list[Payload]:
    return [
        render_request(JOB),
        RenderStarted(render_job_id=JOB, total_tasks=2, task_ids=["a", "b"]),
        RenderProgress(render_job_id=JOB, status="running", progress=50.0, message="clip 1 of 2"),
        RenderProgress(render_job_id=JOB, status="assembling", progress=90.0, message="joining"),
        RenderCompleted(
            render_job_id=JOB,
            output="/out/job-1.mp4",
            file_size=10,
            duration_ms=8000,
            clip_stats=STATS,
        ),
    ]


def test_a_render_goes_queued_running_assembling_complete() -> None:
    events = stamped(lifecycle())
    seen = []
    job = None
    for env in events:
        job = fold_job(job, env)
        seen.append((job.status, job.progress, job.message))
    assert seen == [
        (JobStatus.QUEUED, 0.0, "queued"),
        (JobStatus.RUNNING, 0.0, "2 clip tasks queued"),
        (JobStatus.RUNNING, 50.0, "clip 1 of 2"),
        (JobStatus.ASSEMBLING, 90.0, "joining"),
        (JobStatus.COMPLETE, 100.0, "complete"),
    ]
    assert job is not None
    assert (job.workspace_id, job.planned_tasks, job.output_path) == ("ws", 2, "/out/job-1.mp4")
    assert (job.created_at, job.started_at) == (T0, T0 + timedelta(seconds=1))
    assert job.completed_at == job.updated_at == T0 + timedelta(seconds=4)


def test_a_failure_is_told_by_its_error() -> None:
    events = stamped([render_request(JOB), RenderFailed(render_job_id=JOB, error="no music")])
    job = fold_all(events)
    assert (job.status, job.message, job.error_code) == (JobStatus.FAILED, "no music", "internal")


def test_nothing_leaves_a_terminal_status() -> None:
    ended = stamped(
        [
            render_request(JOB),
            RenderCancelled(render_job_id=JOB, requested_by="u"),
            RenderProgress(render_job_id=JOB, status="running", progress=60.0),
            RenderCompleted(
                render_job_id=JOB, output="/o.mp4", file_size=1, duration_ms=1, clip_stats=STATS
            ),
            RenderFailed(render_job_id=JOB, error="late"),
        ]
    )
    job = fold_all(ended)
    assert (job.status, job.progress, job.output_path) == (JobStatus.CANCELLED, 0.0, None)
    assert job.updated_at == T0 + timedelta(seconds=1)


def test_a_progress_report_never_ends_a_job_nor_goes_backwards() -> None:
    events = stamped(
        [
            render_request(JOB),
            RenderProgress(render_job_id=JOB, status="complete", progress=70.0, message="x"),
            RenderProgress(render_job_id=JOB, status="running", progress=40.0, message="older"),
        ]
    )
    job = fold_all(events)
    assert (job.status, job.progress, job.message) == (JobStatus.RUNNING, 70.0, "x")


def test_an_unchanged_fold_returns_the_same_object() -> None:
    events = stamped(lifecycle())
    job = fold_all(events)
    assert all(fold_job(job, env) is job for env in events)


@given(st.lists(st.integers(min_value=0, max_value=4), max_size=12))
def test_redelivery_changes_nothing(repeats: list[int]) -> None:
    # Any event delivered again, right after itself, leaves the same job as one delivery.
    events = stamped(lifecycle())
    with_repeats = [env for i, env in enumerate(events) for _ in range(1 + repeats.count(i))]
    assert fold_all(with_repeats) == fold_all(events)


def test_status_vocabulary() -> None:
    assert {s for s in JobStatus if s.terminal} == {"complete", "failed", "cancelled"}
    assert {s for s in JobStatus if s.rendering} == {"queued", "running", "assembling"}


def test_a_second_request_for_a_job_does_not_move_it_to_another_workspace() -> None:
    """A forged RenderRequested reusing a job id leaves the job where its owner sees it."""
    first = render_request(JOB)
    forged = first.model_copy(
        update={"workspace_id": "ws-attacker", "project_id": "prj-attacker", "edl_hash": "x"}
    )
    job = fold_all(
        stamped([first, RenderStarted(render_job_id=JOB, total_tasks=1, task_ids=["a"]), forged])
    )
    assert (job.workspace_id, job.project_id) == (first.workspace_id, first.project_id)
    assert job.edl_hash == first.edl_hash and job.requested_by == first.requested_by


def test_the_job_keeps_its_owning_request_s_event_id_for_a_cancellation_to_name() -> None:
    first, forged = stamped([render_request(JOB), render_request(JOB)])
    job = fold_all([first, forged])
    assert job.request_event_id == first.event_id != forged.event_id
