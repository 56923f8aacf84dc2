"""The analytics windows (administrators only: they count every tenant's renders and name
the workers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel

from api.clock import now
from api.deps import AdminUser, SessionDep
from api.openapi_errors import errors
from api.read_models import WINDOW_SIZES, analytics_windows

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

# At most a day of minutes (or 60 days of hours) per request.
MAX_WINDOWS = 1440
DEFAULT_WINDOWS = 60


class Summary(BaseModel):
    """How many values, and their p50 and p95 by nearest rank (null when there are none)."""

    count: int
    p50: int | None
    p95: int | None


class ClipDurations(BaseModel):
    """Clip task durations (ms), all together and by source type and by worker."""

    all: Summary
    by_source_type: dict[str, Summary]
    by_worker: dict[str, Summary]


class Window(BaseModel):
    """One tumbling window's figures, by event time."""

    start: datetime
    end: datetime
    renders: dict[str, int]
    render_wall_ms: Summary
    clip_tasks_queued: int
    clip_outcomes: dict[str, int]
    clip_duration_ms: ClipDurations
    queue_start_ms: Summary
    fallback_reasons: dict[str, int]
    placeholder_rate: float | None
    failed_without_clip: int
    config_updates: list[int]
    config_versions: list[int]
    too_late: dict[str, int]


class Windows(BaseModel):
    """The windows of one size that hold anything between since and until, oldest first."""

    size: str
    since: datetime
    until: datetime
    windows: list[Window]


def _span(size_s: int, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or now()
    start = since or end - timedelta(seconds=size_s * DEFAULT_WINDOWS)
    if start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "since must be before until")
    if (end - start).total_seconds() / size_s > MAX_WINDOWS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"at most {MAX_WINDOWS} windows per request; ask for a shorter span or size=1h",
        )
    return start, end


@router.get("/windows", responses=errors(401, 403, 422))
def get_windows(
    _admin: AdminUser,
    session: SessionDep,
    size: Annotated[Literal["1m", "1h"], Query(description="Window size.")] = "1m",
    since: Annotated[
        AwareDatetime | None, Query(description="First window start (default: 60 windows ago).")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="End (default: now).")] = None,
) -> Windows:
    """Renders requested/completed/failed/cancelled, render wall time, clip task durations by
    source type and worker, queue→start wait, fallback reasons, placeholder rate and the
    config versions in force, per window of event time (administrators only)."""
    size_s = WINDOW_SIZES[size]
    start, end = _span(size_s, since, until)
    found: list[dict[str, Any]] = analytics_windows(session, size_s, start, end)
    return Windows(
        size=size, since=start, until=end, windows=[Window.model_validate(w) for w in found]
    )
