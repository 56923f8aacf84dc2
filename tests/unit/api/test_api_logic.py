"""Pure parts of the API and its CLI client: status derivation, sniffing, merges, progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.progress_stream import next_state, progress_event
from api.project_status import project_status
from api.routes.projects import _deep_merge
from api.storage import sniff
from cli.api_render import sentence
from cli.config_cmd import parse_assignments
from cli.runtime import CliError
from domain.render_job import JobState
from events.base import make_event
from events.payloads import RenderCompleted, RenderFailed, RenderProgress, RenderStarted
from tests.support.samples import sample_payloads


@pytest.mark.parametrize(
    ("has_audio", "analysis", "render", "expected"),
    [
        (False, None, None, "draft"),
        (True, None, None, "analyzing"),
        (True, "pending", None, "analyzing"),
        (True, "completed", None, "ready"),
        (True, "failed", None, "error"),
        (True, "completed", "queued", "rendering"),
        (True, "completed", "running", "rendering"),
        (True, "completed", "complete", "complete"),
        (True, "completed", "failed", "error"),
        (True, "completed", "cancelled", "ready"),
    ],
)
def test_project_status_follows_the_project_lifecycle(
    has_audio: bool, analysis: str | None, render: str | None, expected: str
) -> None:
    assert project_status(has_audio, analysis, render) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 300, ("image/jpeg", "image", ".jpg")),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 300, ("image/png", "image", ".png")),
        (b"\0\0\0\x18ftypmp42" + b"\0" * 300, ("video/mp4", "video", ".mp4")),
        (b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 300, ("audio/x-wav", "audio", ".wav")),
        (b"%PDF-1.7\n" + b"\0" * 300, None),
        (b"just text", None),
    ],
)
def test_uploads_are_sniffed_by_content(head: bytes, expected: tuple[str, str, str] | None) -> None:
    assert sniff(head) == expected


def test_settings_patches_merge_deeply_and_leave_the_original_alone() -> None:
    base = {"beats_per_cut": 4, "output": {"width": 1280, "height": 720, "fps": 30}}
    merged = _deep_merge(base, {"output": {"fps": 24}, "beats_per_cut": 8})
    assert merged == {"beats_per_cut": 8, "output": {"width": 1280, "height": 720, "fps": 24}}
    assert base["output"] == {"width": 1280, "height": 720, "fps": 30}


def test_render_events_become_progress_events_through_the_job_fold() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    job_id = "render-1"
    job = JobState(render_job_id=job_id, progress=40.0, updated_at=at)

    def event(payload: object, second: int) -> object:
        return make_event(payload, trace_id="t", occurred_at=at + timedelta(seconds=second))  # type: ignore[arg-type]

    started = next_state(
        job, event(RenderStarted(render_job_id=job_id, total_tasks=3, task_ids=["a", "b"]), 1)
    )
    assert started is not None
    shown = progress_event(started)
    assert (shown.status, shown.progress, shown.message) == ("running", 40.0, "3 clip tasks queued")
    assembling = next_state(
        started,
        event(
            RenderProgress(render_job_id=job_id, status="assembling", progress=90, message="join"),
            2,
        ),
    )
    assert assembling is not None
    shown = progress_event(assembling)
    assert (shown.status, shown.progress, shown.message) == ("assembling", 90.0, "join")
    # An event the snapshot already covers (not newer than it) says nothing new.
    assert next_state(assembling, event(RenderFailed(render_job_id=job_id, error="x"), 2)) is None
    failed = next_state(assembling, event(RenderFailed(render_job_id=job_id, error="no clips"), 3))
    assert failed is not None
    shown = progress_event(failed)
    assert (shown.status, shown.message) == ("failed", "no clips")
    done = next(p for p in sample_payloads() if isinstance(p, RenderCompleted))
    completed = next_state(assembling, event(done.model_copy(update={"render_job_id": job_id}), 4))
    assert completed is not None
    shown = progress_event(completed)
    assert (shown.status, shown.progress) == ("complete", 100.0)
    assert shown.timestamp == at + timedelta(seconds=4)
    # Nothing follows an end.
    assert next_state(completed, event(RenderFailed(render_job_id=job_id, error="late"), 5)) is None


def test_api_errors_read_as_one_sentence() -> None:
    def answer(status: int, body: object) -> httpx.Response:
        return httpx.Response(status, json=body)

    assert sentence(answer(409, {"detail": "Upload the music first."})) == "Upload the music first."
    assert (
        sentence(answer(422, {"detail": {"reason": "decode_error", "message": "x.mp4: broken"}}))
        == "x.mp4: broken"
    )
    problems = {
        "detail": [
            {"loc": ["body", "settings", "fps"], "msg": "must be a value between 12 and 60"},
            {"segment_index": 3, "field": "timeline_in_ms", "message": "segment 3: overlaps"},
        ]
    }
    assert sentence(answer(422, problems)) == (
        "settings.fps: must be a value between 12 and 60; segment 3: overlaps"
    )


def test_config_assignments_parse_numbers_and_refuse_garbage() -> None:
    assert parse_assignments(["max_parallelism=2", "placeholder_asset_path=a/b.mp4"]) == {
        "max_parallelism": 2,
        "placeholder_asset_path": "a/b.mp4",
    }
    assert parse_assignments(["max_retry=-1"]) == {"max_retry": -1}
    with pytest.raises(CliError, match="is not KEY=VALUE"):
        parse_assignments(["max_parallelism"])
