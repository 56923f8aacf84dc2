"""The projector's pure folds: config versions, beat analyses and a whole batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.render_job import JobStatus
from events.base import Envelope, Payload, make_event
from events.payloads import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
    ClipTaskQueued,
    RenderClipConfig,
    RenderConfigUpdated,
    RenderStarted,
)
from projections.batch import fold_batch, keys_of
from projections.folds import fold_analysis, fold_config
from projections.store import BatchState
from tests.support.sample_requests import render_request

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(payload: Payload, second: int) -> Envelope[Any]:
    return make_event(
        payload, trace_id="t", occurred_at=T0 + timedelta(seconds=second), event_id=f"e{second}"
    )


def test_a_config_version_is_the_later_of_two_updates_numbered_alike() -> None:
    first = at(RenderConfigUpdated(version=3, config=RenderClipConfig(max_parallelism=2)), 1)
    later = at(RenderConfigUpdated(version=3, config=RenderClipConfig(max_parallelism=5)), 2)
    row = fold_config(None, first)
    assert (row.version, row.config["max_parallelism"], row.event_id) == (3, 2, "e1")
    assert fold_config(row, first) is row
    replaced = fold_config(row, later)
    assert (replaced.config["max_parallelism"], replaced.event_id) == (5, "e2")


def test_an_analysis_goes_pending_then_completed_and_keeps_its_request_time() -> None:
    requested = at(
        BeatAnalysisRequested(
            audio_track_id="a1", project_id="p", audio_path="/m/song.wav", checksum="c"
        ),
        1,
    )
    done = at(
        BeatAnalysisCompleted(
            audio_track_id="a1", project_id="p", status="completed", bpm=120.0, beat_count=64
        ),
        5,
    )
    row = fold_analysis(None, requested)
    assert (row.status, row.requested_at) == ("pending", T0 + timedelta(seconds=1))
    row = fold_analysis(row, done)
    assert (row.status, row.bpm, row.beat_count) == ("completed", 120.0, 64)
    assert row.completed_at == T0 + timedelta(seconds=5)
    assert fold_analysis(row, done) is row
    # A request delivered late does not move the request time forward.
    assert fold_analysis(row, at(requested.payload, 9)) is row


def test_a_failed_analysis_keeps_its_sentence() -> None:
    failed = at(
        BeatAnalysisCompleted(
            audio_track_id="a1", project_id="p", status="failed", error="not audio: x.txt"
        ),
        2,
    )
    assert fold_analysis(None, failed).error == "not audio: x.txt"


def test_a_batch_folds_each_topic_into_its_rows_and_names_the_changed_tasks() -> None:
    request = render_request("job-b")
    queued = ClipTaskQueued(
        task_id="job-b-seg0000",
        render_job_id="job-b",
        video_id="vid-0",
        segment_index=0,
        total_segments=1,
        segment=request.edl.segments[0],
        source=request.media[0],
        output=request.output,
    )
    events = [
        at(request, 1),
        at(RenderStarted(render_job_id="job-b", total_tasks=1, task_ids=[queued.task_id]), 2),
        at(queued, 3),
        at(RenderConfigUpdated(version=1, config=RenderClipConfig()), 4),
    ]
    assert keys_of(events) == ({"job-b"}, {1}, set(), set(), set())
    folded, changed = fold_batch(BatchState(), events)
    assert folded.jobs["job-b"].status is JobStatus.RUNNING
    assert set(folded.clips["job-b"].tasks) == changed == {"job-b-seg0000"}
    assert set(folded.configs) == {1}
    # The same batch again changes no task.
    again, changed_again = fold_batch(folded, events)
    assert changed_again == set() and again.jobs == folded.jobs
