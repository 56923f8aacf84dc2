"""The read models name the objects a worker put into the store, so the API serves a render,
a beat grid and a generated clip from the store with nothing but the key (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.base import Envelope, Payload, make_event
from events.payloads import (
    BeatAnalysisCompleted,
    ClipStats,
    RenderCompleted,
)
from events.payloads.common import ObjectRef
from projections.batch import fold_batch
from projections.folds import fold_analysis, fold_generation
from projections.store import BatchState, job_to_row
from tests.support.sample_requests import render_request
from tests.support.samples import generation_payloads

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SHA = "ab" * 32
STATS = ClipStats(
    total_tasks=0,
    success_tasks=0,
    failed_tasks=0,
    placeholder_tasks=0,
    avg_task_duration_ms=0.0,
    p95_task_duration_ms=0.0,
    peak_parallelism=0,
    fallback_reason_counts={},
    total_clips=0,
)


def stamped(payloads: list[Payload]) -> list[Envelope[Any]]:
    return [
        make_event(p, trace_id="t", occurred_at=T0 + timedelta(seconds=i), event_id=f"e{i}")
        for i, p in enumerate(payloads)
    ]


def test_a_render_kept_in_the_store_is_downloadable_by_its_key() -> None:
    done = RenderCompleted(
        render_job_id="job-s3",
        file_size=2048,
        duration_ms=8000,
        clip_stats=STATS,
        stored=ObjectRef(key="renders/job-s3.mp4", sha256=SHA, size=2048),
    )
    after, _ = fold_batch(BatchState(), stamped([render_request("job-s3"), done]))
    row = job_to_row(after.jobs["job-s3"], after.clips.get("job-s3"))
    assert (row["status"], row["output_path"]) == ("complete", None)
    assert (row["output_key"], row["output_sha256"]) == ("renders/job-s3.mp4", SHA)
    assert row["file_size"] == 2048


def test_a_render_on_a_worker_disk_only_has_no_key() -> None:
    done = RenderCompleted(
        render_job_id="job-disk",
        output="/art/renders/job-disk.mp4",
        file_size=10,
        duration_ms=8000,
        clip_stats=STATS,
    )
    after, _ = fold_batch(BatchState(), stamped([render_request("job-disk"), done]))
    row = job_to_row(after.jobs["job-disk"], None)
    assert (row["output_path"], row["output_key"]) == ("/art/renders/job-disk.mp4", None)


def test_a_beat_grid_in_the_store_is_read_by_its_key() -> None:
    (done,) = stamped(
        [
            BeatAnalysisCompleted(
                audio_track_id="a1",
                project_id="p",
                status="completed",
                bpm=120.0,
                beat_count=64,
                beat_grid=ObjectRef(key="beat-grids/a1.json", sha256=SHA, size=900),
            )
        ]
    )
    row = fold_analysis(None, done)
    assert (row.beat_grid_key, row.beat_grid_path) == ("beat-grids/a1.json", None)
    assert fold_analysis(row, done) is row


def test_a_generated_clip_and_its_thumbnail_are_named_by_their_keys() -> None:
    row = None
    for env in stamped(generation_payloads()):
        row = fold_generation(row, env)
    assert row is not None and row.status == "completed"
    assert row.storage_key == "generated/proj-1/gen-1.mp4"
    assert row.thumbnail_key == "generated/proj-1/gen-1.jpg"
