"""A render's clip tasks in the words a timeline block shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from api.clip_views import STATES, clip_out
from api.read_models import ClipTask
from api.schemas import ClipState
from domain.clip_stats import TaskStatus


def _task(status: str, **fields: object) -> ClipTask:
    base: dict[str, object] = {
        "task_id": "t-3",
        "render_job_id": "job-1",
        "segment_index": 3,
        "timeline_in_ms": 6000,
        "timeline_out_ms": 8000,
        "status": status,
        "attempt": 0,
        "retries": 0,
        "fallback_reasons": {},
    }
    return ClipTask(**{**base, **fields})


def test_every_task_status_has_a_state_and_every_state_a_status() -> None:
    assert set(STATES) == set(TaskStatus)
    assert sorted(STATES.values()) == sorted(get_args(ClipState))


def test_a_queued_task_has_no_attempt_and_a_fallen_back_one_says_why() -> None:
    queued = clip_out(_task("pending"))
    assert (queued.state, queued.attempts, queued.segment_index) == ("queued", 0, 3)
    started = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    fell = clip_out(
        _task(
            "fallback-local",
            attempt=1,
            started_at=started,
            fallback_reasons={"remote_timeout": 1},
            source_type="local",
        )
    )
    assert (fell.state, fell.attempts, fell.fallback_reasons) == (
        "fell back",
        2,
        {"remote_timeout": 1},
    )
    assert clip_out(_task("fallback-placeholder", started_at=started)).state == "placeholder"
