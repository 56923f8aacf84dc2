"""Builders of clip-task event sequences, shared by fold tests, integration tests and benches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.base import Envelope, make_event
from events.payloads import (
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
)
from events.payloads.common import FailureReason, MediaSource, OutputSettings, SourceType

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OUTPUT = OutputSettings(width=1280, height=720, fps=30)


def task_lifecycle(
    job: str,
    task: str,
    *,
    video: str = "vid-0",
    index: int = 0,
    retries: int = 0,
    fallbacks: tuple[tuple[SourceType, SourceType, FailureReason], ...] = (),
    outcome: SourceType | None = SourceType.REMOTE,
    duration_ms: int = 100,
) -> list[Any]:
    """Payloads of one task in order: queued, started, retries, fallbacks, outcome.

    outcome None means the task ends ClipTaskFailed."""
    ids = dict(task_id=task, render_job_id=job, video_id=video, segment_index=index)
    source = MediaSource(asset_id=video, media_type="video", checksum="c", duration_ms=10_000)
    seq: list[Any] = [
        ClipTaskQueued(
            **ids, total_segments=index + 1, segment={"index": index}, source=source, output=OUTPUT
        ),
        ClipTaskStarted(**ids, attempt=0, worker_id="w", slot=0, source_type=SourceType.REMOTE),
    ]
    for attempt in range(retries):
        seq.append(
            ClipTaskRetrying(
                **ids,
                attempt=attempt,
                source_type=SourceType.REMOTE,
                reason=FailureReason.TIMEOUT,
                backoff_ms=500 * 2**attempt,
            )
        )
        seq.append(
            ClipTaskStarted(
                **ids, attempt=attempt + 1, worker_id="w", slot=0, source_type=SourceType.REMOTE
            )
        )
    for frm, to, reason in fallbacks:
        seq.append(
            ClipTaskFellBack(**ids, attempt=retries, from_source=frm, to_source=to, reason=reason)
        )
    if outcome is None:
        seq.append(
            ClipTaskFailed(
                **ids, attempt=retries, reason=FailureReason.NO_CANDIDATES, duration_ms=duration_ms
            )
        )
    else:
        seq.append(
            ClipTaskSucceeded(
                **ids,
                attempt=retries,
                source_type=outcome,
                duration_ms=duration_ms,
                clip_path=f"clips/{task}.mp4",
            )
        )
    return seq


def stamp(
    payloads: list[Any], trace_id: str = "trace-test", start: datetime = T0
) -> list[Envelope[Any]]:
    """Wrap payloads in envelopes one millisecond apart, so times follow log order."""
    return [
        make_event(p, trace_id=trace_id, occurred_at=start + timedelta(milliseconds=i))
        for i, p in enumerate(payloads)
    ]
