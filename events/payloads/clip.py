"""Clip task payloads: queued tasks keyed by video, outcomes keyed by render job."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from engine.edl import Segment
from events.base import Payload
from events.bounds import INT32_MAX
from events.ids import Id
from events.payloads.common import (
    FailureReason,
    MediaSource,
    ObjectRef,
    OutputSettings,
    SourceType,
)
from events.topics import Topic


class ClipTaskQueued(Payload):
    """The planner queued one segment for rendering; keyed by the source video. The source
    names its object in the store and its upload-time proxies."""

    event_type: ClassVar[str] = "ClipTaskQueued"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.CLIP_TASKS
    key_field: ClassVar[str] = "video_id"

    task_id: Id
    render_job_id: Id
    video_id: Id
    segment_index: int = Field(ge=0, le=INT32_MAX)
    total_segments: int = Field(ge=1, le=INT32_MAX)
    # One segment of the render's EDL.
    segment: Segment
    source: MediaSource
    output: OutputSettings


class _ClipOutcome(Payload):
    topic: ClassVar[Topic] = Topic.CLIP_EVENTS
    key_field: ClassVar[str] = "render_job_id"

    task_id: Id
    render_job_id: Id
    video_id: Id
    segment_index: int = Field(ge=0, le=INT32_MAX)
    attempt: int = Field(ge=0, le=INT32_MAX)


class ClipTaskStarted(_ClipOutcome):
    """A worker began an attempt of a clip task, under the render config version in force on
    that worker (0: the embedded defaults; None: an event written before versions were
    recorded)."""

    event_type: ClassVar[str] = "ClipTaskStarted"
    event_version: ClassVar[int] = 2

    worker_id: Id
    slot: int = Field(ge=0, le=INT32_MAX)
    source_type: SourceType
    # Required on the wire (a producer must say), null only when upcast from version 1.
    config_version: int | None = Field(ge=0, le=INT32_MAX)


class ClipTaskRetrying(_ClipOutcome):
    """An attempt failed; the task will be tried again after a backoff."""

    event_type: ClassVar[str] = "ClipTaskRetrying"

    source_type: SourceType
    reason: FailureReason
    backoff_ms: int = Field(ge=0, le=INT32_MAX)
    error: str = ""


class ClipTaskFellBack(_ClipOutcome):
    """A source gave up; the task moves on to the next source in the chain."""

    event_type: ClassVar[str] = "ClipTaskFellBack"

    from_source: SourceType
    to_source: SourceType
    reason: FailureReason
    error: str = ""


class ClipTaskSucceededV1(_ClipOutcome):
    """Version 1: a clip was produced; durations in seconds, no source type."""

    event_type: ClassVar[str] = "ClipTaskSucceeded"
    event_version: ClassVar[int] = 1

    duration_s: float = Field(ge=0)
    clip_path: str = Field(min_length=1)


class ClipTaskSucceeded(_ClipOutcome):
    """A clip was produced; source_type says whether it is the real one or a fallback. The
    clip is in the store (`clip`), so any worker can join it, or at `clip_path` on a disk
    the workers share."""

    event_type: ClassVar[str] = "ClipTaskSucceeded"
    event_version: ClassVar[int] = 3

    source_type: SourceType
    duration_ms: int = Field(ge=0, le=INT32_MAX)
    clip_path: str | None = Field(default=None, min_length=1)
    # The worker that rendered the clip (absent from events written before it was recorded).
    worker_id: Id | None = None
    clip: ObjectRef | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.clip_path is None and self.clip is None:
            raise ValueError("a clip needs a path or a stored object")
        return self


class ClipTaskFailed(_ClipOutcome):
    """The task ended without any clip, not even a placeholder."""

    event_type: ClassVar[str] = "ClipTaskFailed"

    reason: FailureReason
    duration_ms: int = Field(ge=0, le=INT32_MAX)
    error: str = ""
