"""Payloads of versions superseded by a newer one, kept so old events still decode (and
their upcasters lift them) and their schema files stay as they were published.

Each class keeps its type's name, as it had when it was the newest: the published schemas
name their parts by class. The registry imports them with the version in the alias."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from engine.edl import Segment
from engine.generation.spec import ClipSpec
from events.base import Payload
from events.bounds import INT32_MAX, INT64_MAX
from events.ids import Id
from events.payloads.analysis import _AnalysisPayload
from events.payloads.clip import _ClipOutcome
from events.payloads.common import OutputSettings, SourceType
from events.payloads.generation import ProviderName, Url, _GenerationPayload
from events.payloads.render import ClipStats, _RenderPayload, _RenderRequestFields
from events.topics import Topic


class MediaSource(BaseModel):
    """One media asset as the render sees it: where to fetch it and what it is."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    asset_id: Id
    media_type: str = Field(pattern="^(image|video)$")
    checksum: str = Field(min_length=1)
    remote_url: str | None = None
    local_path: str | None = None
    duration_ms: int | None = Field(default=None, ge=0, le=INT32_MAX)
    width: int | None = Field(default=None, ge=1, le=INT32_MAX)
    height: int | None = Field(default=None, ge=1, le=INT32_MAX)
    rotation: int = Field(default=0, ge=-360, le=360)
    display_aspect_ratio: float | None = Field(default=None, gt=0)
    fps: float | None = Field(default=None, gt=0)
    # The name the user gave the file, so a render can say which file it could not show.
    file_name: str | None = Field(default=None, min_length=1, max_length=255)


class AudioSource(BaseModel):
    """The music track of a render."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    audio_track_id: Id
    path: str = Field(min_length=1)
    checksum: str = Field(min_length=1)
    duration_ms: int = Field(ge=0, le=INT32_MAX)


class RenderRequested(_RenderRequestFields):
    """A user asked for a render; carries everything needed to reproduce it."""

    media: list[MediaSource] = Field(min_length=1)
    audio: AudioSource


class RenderCompleted(_RenderPayload):
    """The final MP4 is written; `output_url` says where it was published beyond the
    worker's disk, if anywhere. (Its event id is derived from the job, so a join finished
    again after a crash is the same event: it names no worker.)"""

    event_type: ClassVar[str] = "RenderCompleted"

    output: str = Field(min_length=1)
    file_size: int = Field(ge=0, le=INT64_MAX)
    duration_ms: int = Field(ge=0, le=INT32_MAX)
    clip_stats: ClipStats
    output_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://\S+$")


class ClipTaskQueued(Payload):
    """The planner queued one segment for rendering; keyed by the source video."""

    event_type: ClassVar[str] = "ClipTaskQueued"
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


class ClipTaskSucceeded(_ClipOutcome):
    """A clip was produced; source_type says whether it is the real one or a fallback."""

    event_type: ClassVar[str] = "ClipTaskSucceeded"
    event_version: ClassVar[int] = 2

    source_type: SourceType
    duration_ms: int = Field(ge=0, le=INT32_MAX)
    clip_path: str = Field(min_length=1)
    # The worker that rendered the clip (absent from events written before it was recorded).
    worker_id: Id | None = None


class ClipTaskStarted(_ClipOutcome):
    """A worker began an attempt of a clip task."""

    event_type: ClassVar[str] = "ClipTaskStarted"

    worker_id: Id
    slot: int = Field(ge=0, le=INT32_MAX)
    source_type: SourceType


class BeatAnalysisRequested(_AnalysisPayload):
    """An audio track was uploaded and needs its beat grid."""

    event_type: ClassVar[str] = "BeatAnalysisRequested"

    audio_path: str = Field(min_length=1)
    checksum: str = Field(min_length=1)


class BeatAnalysisCompleted(_AnalysisPayload):
    """The analysis finished, successfully or not."""

    event_type: ClassVar[str] = "BeatAnalysisCompleted"

    status: str = Field(pattern="^(completed|failed)$")
    bpm: float | None = Field(default=None, gt=0)
    bpm_confidence: float | None = Field(default=None, ge=0, le=1)
    beat_count: int = Field(default=0, ge=0, le=INT32_MAX)
    beat_grid_path: str | None = None
    beat_grid_checksum: str | None = None
    error: str = ""


class VideoGenerationRequested(_GenerationPayload):
    """A user asked for a clip to be generated from a prompt (and perhaps a picture)."""

    event_type: ClassVar[str] = "VideoGenerationRequested"

    requested_by: Id
    provider: ProviderName
    spec: ClipSpec
    # The project photo the spec's image was taken from, when there is one.
    image_asset_id: Id | None = None
    # The timeline segment the clip is meant for (their "storyboard shot"), if any.
    segment_index: int | None = Field(default=None, ge=0, le=INT32_MAX)


class VideoGenerationCompleted(_GenerationPayload):
    """The clip is written and probed: where it is, what it is and what the provider said."""

    event_type: ClassVar[str] = "VideoGenerationCompleted"

    provider: ProviderName
    model: str = Field(default="", max_length=100)
    task_id: str = Field(default="", max_length=200)
    video_url: Url = ""  # where the provider served it ("" for local)
    path: str = Field(min_length=1, max_length=4096)
    thumbnail_path: str = Field(min_length=1, max_length=4096)
    checksum: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=1, le=INT64_MAX)
    width: int = Field(ge=1, le=INT32_MAX)
    height: int = Field(ge=1, le=INT32_MAX)
    duration_ms: int = Field(ge=1, le=INT32_MAX)
    fps: float = Field(gt=0, le=1000)
    codec: str = Field(min_length=1, max_length=32)
    attempts: int = Field(default=1, ge=1, le=1000)
    metadata: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=500)]] = (
        Field(default_factory=dict, max_length=32)
    )
