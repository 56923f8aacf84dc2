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
from tests.support.sample_requests import render_request, sample_segment

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
    file_name: str | None = None,
) -> list[Any]:
    """Payloads of one task in order: queued, started, retries, fallbacks, outcome.

    outcome None means the task ends ClipTaskFailed."""
    ids = dict(task_id=task, render_job_id=job, video_id=video, segment_index=index)
    source = MediaSource(
        asset_id=video, media_type="video", checksum="c", duration_ms=10_000, file_name=file_name
    )
    seq: list[Any] = [
        ClipTaskQueued(
            **ids,
            total_segments=index + 1,
            segment=sample_segment(index, video),
            source=source,
            output=OUTPUT,
        ),
        ClipTaskStarted(
            **ids, attempt=0, worker_id="w", slot=0, source_type=SourceType.REMOTE, config_version=0
        ),
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
                **ids,
                attempt=attempt + 1,
                worker_id="w",
                slot=0,
                source_type=SourceType.REMOTE,
                config_version=0,
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


def render_payloads(job: str, tasks: int = 6, videos: int = 3) -> list[Any]:
    """A whole render's payloads: requested, started, clip tasks in two overlapping waves with
    one local fallback and one placeholder, completed."""
    from events.payloads import ClipStats, RenderCompleted, RenderRequested, RenderStarted
    from events.payloads.render import AudioSource

    task_ids = [f"{job}-t{i}" for i in range(tasks)]
    lives = []
    for i, task in enumerate(task_ids):
        if i == 1:
            chain: Any = dict(
                fallbacks=((SourceType.REMOTE, SourceType.LOCAL, FailureReason.CDN_ERROR),),
                outcome=SourceType.LOCAL,
            )
        elif i == 2:
            chain = dict(
                retries=1,
                fallbacks=(
                    (SourceType.REMOTE, SourceType.LOCAL, FailureReason.TIMEOUT),
                    (SourceType.LOCAL, SourceType.PLACEHOLDER, FailureReason.NOT_FOUND),
                ),
                outcome=SourceType.PLACEHOLDER,
            )
        else:
            chain = {}
        lives.append(
            task_lifecycle(
                job, task, video=f"{job}-v{i % videos}", index=i, duration_ms=100 * (i + 1), **chain
            )
        )
    # Waves of two: both queue and start, then both finish, so peak_parallelism is 2.
    clip: list[Any] = []
    for a, b in zip(lives[0::2], lives[1::2], strict=False):
        clip += a[:-1] + b[:-1] + [a[-1], b[-1]]
    if len(lives) % 2:
        clip += lives[-1]
    source = MediaSource(asset_id="v", media_type="video", checksum="c", duration_ms=10_000)
    return [
        RenderRequested(
            render_job_id=job,
            workspace_id="ws",
            project_id="p",
            requested_by="u",
            kind="final",
            edl_hash="h",
            edl=render_request("sample").edl,
            output=OUTPUT,
            media=[source],
            audio=AudioSource(audio_track_id="a", path="a.wav", checksum="c", duration_ms=6000),
        ),
        RenderStarted(render_job_id=job, total_tasks=tasks, task_ids=task_ids),
        *clip,
        RenderCompleted(
            render_job_id=job,
            output=f"out/{job}.mp4",
            file_size=1000,
            duration_ms=6000,
            clip_stats=ClipStats(
                total_tasks=tasks,
                success_tasks=tasks - 1,
                failed_tasks=1,
                placeholder_tasks=1,
                avg_task_duration_ms=0,
                p95_task_duration_ms=0,
                peak_parallelism=2,
                fallback_reason_counts={},
                total_clips=tasks,
            ),
        ),
    ]
