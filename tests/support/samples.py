"""One valid sample payload per event type and version, for codec and schema tests."""

from __future__ import annotations

from typing import Any

from engine.generation.spec import ClipSpec, LocalKind
from events.base import Payload
from events.payloads import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
    ClipStats,
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
    ClipTaskSucceededV1,
    MediaProxyCompleted,
    MediaProxyRequested,
    RenderCancelled,
    RenderClipConfig,
    RenderCompleted,
    RenderConfigUpdated,
    RenderConfigUpdatedV1,
    RenderFailed,
    RenderProgress,
    RenderRequested,
    RenderStarted,
    VideoGenerationCompleted,
    VideoGenerationDeleted,
    VideoGenerationFailed,
    VideoGenerationProgress,
    VideoGenerationRequested,
    VideoGenerationStarted,
    superseded,
)
from events.payloads.common import (
    FailureReason,
    MediaSource,
    ObjectRef,
    OutputSettings,
    ProxyRef,
    SourceType,
)
from events.payloads.config import RenderClipConfigV1
from events.payloads.render import AudioSource
from tests.support.sample_requests import render_request, sample_segment

JOB = "job-1"
OUTPUT = OutputSettings(width=1280, height=720, fps=30)
STORED = ObjectRef(key="projects/proj-1/media/vid-1.mp4", sha256="a" * 64, size=1234)
PROXY = ProxyRef(
    key="proxies/vid-1/1280x720.mp4", sha256="b" * 64, size=99, width=1280, height=720, recipe=1
)
SOURCE_V1: dict[str, Any] = dict(
    asset_id="vid-1", media_type="video", checksum="c0ffee", duration_ms=10_000
)
SOURCE = MediaSource(**SOURCE_V1, stored=STORED, proxies=[PROXY])
CLIP = dict(task_id="task-1", render_job_id=JOB, video_id="vid-1", segment_index=0, attempt=0)


def sample_payloads() -> list[Payload]:
    """Return one valid payload of every registered (type, version)."""
    return [
        RenderRequested(
            render_job_id=JOB,
            workspace_id="ws-1",
            project_id="proj-1",
            requested_by="user-1",
            kind="final",
            edl_hash="abc",
            edl=render_request("sample").edl,
            output=OUTPUT,
            media=[SOURCE],
            audio=AudioSource(
                audio_track_id="a-1", checksum="f00", duration_ms=60_000, stored=STORED
            ),
        ),
        RenderStarted(render_job_id=JOB, total_tasks=1, task_ids=["task-1"]),
        RenderProgress(render_job_id=JOB, status="running", progress=42.5, message="clips 1/2"),
        RenderCompleted(
            render_job_id=JOB,
            stored=ObjectRef(key="renders/job-1.mp4", sha256="c" * 64, size=1234),
            file_size=1234,
            duration_ms=60_000,
            clip_stats=ClipStats(
                total_tasks=1,
                success_tasks=1,
                failed_tasks=0,
                placeholder_tasks=0,
                avg_task_duration_ms=10.0,
                p95_task_duration_ms=10.0,
                peak_parallelism=1,
                fallback_reason_counts={},
                total_clips=1,
                generated_at="2026-01-01T00:00:00+00:00",
            ),
        ),
        RenderFailed(render_job_id=JOB, error="audio file is missing"),
        RenderCancelled(render_job_id=JOB, requested_by="user-1", reason="changed my mind"),
        ClipTaskQueued(
            task_id="task-1",
            render_job_id=JOB,
            video_id="vid-1",
            segment_index=0,
            total_segments=1,
            segment=sample_segment(0, "vid-1"),
            source=SOURCE,
            output=OUTPUT,
        ),
        ClipTaskStarted(
            **CLIP, worker_id="w-1", slot=0, source_type=SourceType.REMOTE, config_version=3
        ),
        ClipTaskRetrying(
            **CLIP, source_type=SourceType.REMOTE, reason=FailureReason.TIMEOUT, backoff_ms=500
        ),
        ClipTaskFellBack(
            **CLIP,
            from_source=SourceType.REMOTE,
            to_source=SourceType.LOCAL,
            reason=FailureReason.CDN_ERROR,
        ),
        ClipTaskSucceededV1(**CLIP, duration_s=1.5, clip_path="clip.mp4"),
        ClipTaskSucceeded(
            **CLIP,
            source_type=SourceType.LOCAL,
            duration_ms=1500,
            clip=ObjectRef(key="clips/job-1/0000.mp4", sha256="d" * 64, size=10),
        ),
        ClipTaskFailed(**CLIP, reason=FailureReason.NO_CANDIDATES, duration_ms=3),
        RenderConfigUpdatedV1(version=1, config=RenderClipConfigV1()),
        RenderConfigUpdated(version=1, config=RenderClipConfig()),
        BeatAnalysisRequested(
            audio_track_id="a-1", project_id="proj-1", checksum="f00", stored=STORED
        ),
        BeatAnalysisCompleted(
            audio_track_id="a-1",
            project_id="proj-1",
            status="completed",
            bpm=120.0,
            beat_count=8,
            beat_grid=ObjectRef(key="beat-grids/a-1.json", sha256="e" * 64, size=100),
        ),
        *generation_payloads(),
        MediaProxyRequested(
            asset_id="vid-1",
            project_id="proj-1",
            kind="video",
            checksum="c0ffee",
            stored=STORED,
            width=1280,
            height=720,
            fps=30,
        ),
        MediaProxyCompleted(
            asset_id="vid-1",
            project_id="proj-1",
            kind="video",
            variant="1280x720",
            status="completed",
            proxy=PROXY,
        ),
        *superseded_payloads(),
    ]


def superseded_payloads() -> list[Payload]:
    """Payloads of the versions a newer one replaced, as their producers wrote them."""
    return [
        superseded.VideoGenerationRequested(
            **GENERATION,
            requested_by="user-1",
            provider="local",
            spec=ClipSpec(kind=LocalKind.TITLE_CARD, prompt="Summer at the lake", seed=7),
        ),
        superseded.ClipTaskStarted(**CLIP, worker_id="w-1", slot=0, source_type=SourceType.REMOTE),
        superseded.VideoGenerationCompleted(
            **GENERATION,
            provider="local",
            model="local-title_card",
            task_id="local-abc",
            path="generated/proj-1/gen-1.mp4",
            thumbnail_path="generated/proj-1/gen-1.jpg",
            checksum="0" * 64,
            size_bytes=1234,
            width=1280,
            height=720,
            duration_ms=4000,
            fps=24.0,
            codec="h264",
            metadata={"engine": "local"},
        ),
        superseded.RenderRequested(
            render_job_id=JOB,
            workspace_id="ws-1",
            project_id="proj-1",
            requested_by="user-1",
            kind="final",
            edl_hash="abc",
            edl=render_request("sample").edl,
            output=OUTPUT,
            media=[superseded.MediaSource(**SOURCE_V1)],
            audio=superseded.AudioSource(
                audio_track_id="a-1", path="song.wav", checksum="f00", duration_ms=60_000
            ),
        ),
        superseded.RenderCompleted(
            render_job_id=JOB,
            output="artifacts/out.mp4",
            file_size=1234,
            duration_ms=60_000,
            clip_stats=ClipStats(
                total_tasks=1,
                success_tasks=1,
                failed_tasks=0,
                placeholder_tasks=0,
                avg_task_duration_ms=10.0,
                p95_task_duration_ms=10.0,
                peak_parallelism=1,
                fallback_reason_counts={},
                total_clips=1,
                generated_at="2026-01-01T00:00:00+00:00",
            ),
        ),
        superseded.ClipTaskQueued(
            task_id="task-1",
            render_job_id=JOB,
            video_id="vid-1",
            segment_index=0,
            total_segments=1,
            segment=sample_segment(0, "vid-1"),
            source=superseded.MediaSource(**SOURCE_V1),
            output=OUTPUT,
        ),
        superseded.ClipTaskSucceeded(
            **CLIP, source_type=SourceType.LOCAL, duration_ms=1500, clip_path="c.mp4"
        ),
        superseded.BeatAnalysisRequested(
            audio_track_id="a-1", project_id="proj-1", audio_path="song.wav", checksum="f00"
        ),
        superseded.BeatAnalysisCompleted(
            audio_track_id="a-1", project_id="proj-1", status="completed", bpm=120.0, beat_count=8
        ),
    ]


GENERATION = dict(generation_id="gen-1", project_id="proj-1")


def generation_payloads() -> list[Payload]:
    """One payload of every video generation event type, in lifecycle order."""
    return [
        VideoGenerationRequested(
            **GENERATION,
            requested_by="user-1",
            provider="local",
            spec=ClipSpec(kind=LocalKind.TITLE_CARD, prompt="Summer at the lake", seed=7),
            segment_index=2,
        ),
        VideoGenerationStarted(**GENERATION, worker_id="w-1", provider="local"),
        VideoGenerationProgress(**GENERATION, progress=0.5, message="rendering frames"),
        VideoGenerationCompleted(
            **GENERATION,
            provider="local",
            model="local-title_card",
            task_id="local-abc",
            path="generated/proj-1/gen-1.mp4",
            thumbnail_path="generated/proj-1/gen-1.jpg",
            stored=ObjectRef(key="generated/proj-1/gen-1.mp4", sha256="0" * 64, size=1234),
            thumbnail=ObjectRef(key="generated/proj-1/gen-1.jpg", sha256="1" * 64, size=10),
            checksum="0" * 64,
            size_bytes=1234,
            width=1280,
            height=720,
            duration_ms=4000,
            fps=24.0,
            codec="h264",
            metadata={"engine": "local"},
        ),
        VideoGenerationFailed(
            **GENERATION,
            provider="runway",
            error="the provider refused the key.",
            error_code="bad_key",
        ),
        VideoGenerationDeleted(**GENERATION, requested_by="user-1"),
    ]
