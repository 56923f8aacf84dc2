"""Render lifecycle payloads, all keyed by render_job_id on the render.jobs topic."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.edl import EDL
from events.base import Payload
from events.bounds import INT32_MAX, INT64_MAX
from events.ids import Id
from events.payloads.common import MediaSource, ObjectRef, OutputSettings
from events.topics import Topic


class _RenderPayload(Payload):
    topic: ClassVar[Topic] = Topic.RENDER_JOBS
    key_field: ClassVar[str] = "render_job_id"

    render_job_id: Id


class AudioSource(BaseModel):
    """The music track of a render: in the store (`stored`), or at a path on a shared disk;
    `proxy` is its music proxy made at upload time."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    audio_track_id: Id
    path: str | None = Field(default=None, min_length=1)
    checksum: str = Field(min_length=1)
    duration_ms: int = Field(ge=0, le=INT32_MAX)
    stored: ObjectRef | None = None
    proxy: ObjectRef | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.path is None and self.stored is None:
            raise ValueError("the music needs a path or a stored object")
        return self


class _RenderRequestFields(_RenderPayload):
    event_type: ClassVar[str] = "RenderRequested"

    workspace_id: Id
    project_id: Id
    requested_by: Id
    kind: str = Field(pattern="^(preview|final)$")
    edl_hash: str = Field(min_length=1)
    # Typed on the wire, so a malformed EDL is a malformed event; the planner checks the
    # rules across segments and against the media (EDL validation) and fails the render.
    edl: EDL
    output: OutputSettings


class RenderRequested(_RenderRequestFields):
    """A user asked for a render; carries everything needed to reproduce it. Media and
    music are named by their objects in the store (and their upload-time proxies)."""

    event_version: ClassVar[int] = 2

    media: list[MediaSource] = Field(min_length=1)
    audio: AudioSource


# A version as a person reads it ("0.1.0", "8.1.2", "62.28.102"); never a path or a command.
VersionText = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._+-]+$")]


class EngineVersions(BaseModel):
    """The software a render's pixels depend on, as the assembling worker runs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    beatstitch: VersionText
    pyav: VersionText
    ffmpeg: VersionText
    libavcodec: VersionText


class RenderStarted(_RenderPayload):
    """The planner split the render into clip tasks.

    Its event id is derived from the request, so a re-plan by another worker is the same
    event again: it names no worker (that would make one id name two events)."""

    event_type: ClassVar[str] = "RenderStarted"

    total_tasks: int = Field(ge=0, le=INT32_MAX)
    task_ids: list[Id]


class ProgressStatus(StrEnum):
    """The status a progress report states; only the job's own end events end it."""

    QUEUED = "queued"
    RUNNING = "running"
    ASSEMBLING = "assembling"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RenderProgress(_RenderPayload):
    """A progress report of a running render (the time is the envelope's)."""

    event_type: ClassVar[str] = "RenderProgress"

    status: ProgressStatus
    progress: float = Field(ge=0.0, le=100.0)
    message: str = ""
    # The assembling report names the worker that joins the clips and its engine (absent
    # from the other reports and from events written before they were recorded).
    worker_id: Id | None = None
    engine: EngineVersions | None = None


class ClipStats(BaseModel):
    """Per-render clip task statistics (RenderJob.metrics.render.clip_stats)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    total_tasks: int = Field(ge=0, le=INT32_MAX)
    success_tasks: int = Field(ge=0, le=INT32_MAX)
    failed_tasks: int = Field(ge=0, le=INT32_MAX)
    placeholder_tasks: int = Field(ge=0, le=INT32_MAX)
    avg_task_duration_ms: float = Field(ge=0)
    p95_task_duration_ms: float = Field(ge=0)
    peak_parallelism: int = Field(ge=0, le=INT32_MAX)
    fallback_reason_counts: dict[str, int]
    total_clips: int = Field(ge=0, le=INT32_MAX)
    generated_at: str | None = None


class RenderCompleted(_RenderPayload):
    """The final MP4 is written: `stored` names it in the store (`output`, a path, is for
    renders kept on a worker's disk); `output_url` says where it was published beyond that,
    if anywhere. (Its event id is derived from the job, so a join finished again after a
    crash is the same event: it names no worker.)"""

    event_type: ClassVar[str] = "RenderCompleted"
    event_version: ClassVar[int] = 2

    output: str | None = Field(default=None, min_length=1)
    file_size: int = Field(ge=0, le=INT64_MAX)
    duration_ms: int = Field(ge=0, le=INT32_MAX)
    clip_stats: ClipStats
    output_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://\S+$")
    stored: ObjectRef | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.output is None and self.stored is None:
            raise ValueError("a completed render needs an output path or a stored object")
        return self


class RenderFailed(_RenderPayload):
    """The render could not produce an output."""

    event_type: ClassVar[str] = "RenderFailed"

    error: str = Field(min_length=1)
    error_code: str = "internal"


class RenderCancelled(_RenderPayload):
    """A user cancelled the render; queued clip tasks must not run."""

    event_type: ClassVar[str] = "RenderCancelled"

    requested_by: Id
    reason: str = ""
