"""The video generation record folded from its events: every field filled, one outcome,
progress that only rises, soft delete, and the same row whatever is delivered twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.base import Envelope, Payload, make_event
from events.payloads import VideoGenerationCompleted, VideoGenerationFailed
from projections.batch import fold_batch, keys_of
from projections.folds import fold_generation
from projections.state import GenerationState
from projections.store import BatchState
from tests.support.samples import GENERATION, generation_payloads

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(payload: Payload, second: int) -> Envelope[Any]:
    return make_event(
        payload, trace_id="t", occurred_at=T0 + timedelta(seconds=second), event_id=f"e{second}"
    )


def lifecycle() -> list[Envelope[Any]]:
    requested, started, progress, completed, _failed, _deleted = generation_payloads()
    return [at(requested, 1), at(started, 2), at(progress, 3), at(completed, 4)]


def fold_all(events: list[Envelope[Any]]) -> GenerationState:
    row: GenerationState | None = None
    for env in events:
        row = fold_generation(row, env)
    assert row is not None
    return row


def test_a_completed_generation_has_every_field_of_the_record() -> None:
    row = fold_all(lifecycle())
    assert row.status == "completed" and row.progress == 1.0
    assert (row.provider, row.kind, row.prompt, row.seed) == (
        "local",
        "title_card",
        "Summer at the lake",
        7,
    )
    assert (row.width, row.height, row.duration_ms, row.output_fps) == (1280, 720, 4000, 24.0)
    assert row.local_path == "generated/proj-1/gen-1.mp4" and row.task_id == "local-abc"
    assert row.model == "local-title_card" and row.segment_index == 2
    assert row.worker_id == "w-1" and row.provider_metadata == {"engine": "local"}
    assert row.created_at == T0 + timedelta(seconds=1)
    assert row.started_at == T0 + timedelta(seconds=2)
    assert row.completed_at == row.updated_at == T0 + timedelta(seconds=4)
    assert row.deleted_at is None and row.error_msg is None


def test_the_first_outcome_stays_the_outcome() -> None:
    done = fold_all(lifecycle())
    late_failure = at(
        VideoGenerationFailed(**GENERATION, provider="local", error="ran again and failed."), 9
    )
    assert fold_generation(done, late_failure) is done
    failed = fold_all([lifecycle()[0], late_failure])
    _, _, _, completed, _, _ = generation_payloads()
    assert fold_generation(failed, at(completed, 10)) is failed
    assert failed.status == "failed" and failed.error_msg == "ran again and failed."


def test_progress_only_rises_and_a_redelivered_event_changes_nothing() -> None:
    events = lifecycle()[:3]
    row = fold_all(events)
    assert (row.status, row.progress, row.progress_message) == (
        "processing",
        0.5,
        "rendering frames",
    )
    assert fold_generation(row, events[2]) is row
    assert fold_generation(row, events[0]) is row
    _, _, progress, _, _, _ = generation_payloads()
    earlier = at(progress.model_copy(update={"progress": 0.2}), 5)
    assert fold_generation(row, earlier) is row


def test_a_deleted_generation_keeps_its_record_with_the_first_delete_time() -> None:
    _, _, _, _, _, deleted = generation_payloads()
    done = fold_all(lifecycle())
    gone = fold_generation(done, at(deleted, 7))
    assert gone.deleted_at == T0 + timedelta(seconds=7) and gone.status == "completed"
    assert fold_generation(gone, at(deleted, 8)).deleted_at == gone.deleted_at


def test_a_batch_folds_generations_beside_the_other_read_models() -> None:
    events = lifecycle()
    assert keys_of(events) == (set(), set(), set(), {"gen-1"}, set())
    folded, _ = fold_batch(BatchState(), events)
    assert folded.generations["gen-1"] == fold_all(events)


def test_a_completed_event_alone_still_makes_a_whole_record() -> None:
    _, _, _, completed, _, _ = generation_payloads()
    assert isinstance(completed, VideoGenerationCompleted)
    row = fold_generation(None, at(completed, 1))
    assert row.status == "completed" and row.project_id == "proj-1" and row.prompt is None
