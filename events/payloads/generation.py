"""Video generation payloads, all keyed by generation_id on the video.generations topic.

A generation is asked for (Requested), picked up by a worker (Started), reports progress
(Progress) and ends once (Completed or Failed); a user may soft-delete it (Deleted)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from engine.generation.spec import ClipSpec
from events.base import Payload
from events.bounds import INT32_MAX, INT64_MAX
from events.ids import Id
from events.payloads.common import ObjectRef
from events.topics import Topic

# Provider names are the registry's keys; a name no worker knows fails the generation.
ProviderName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
# A short free text that is shown, never interpreted.
Sentence = Annotated[str, Field(max_length=2000)]
Url = Annotated[str, Field(max_length=2048, pattern=r"^(https?://\S+)?$")]


class _GenerationPayload(Payload):
    topic: ClassVar[Topic] = Topic.VIDEO_GENERATIONS
    key_field: ClassVar[str] = "generation_id"

    generation_id: Id
    project_id: Id


class VideoGenerationRequested(_GenerationPayload):
    """A user asked for a clip to be generated from a prompt (and perhaps a picture)."""

    event_type: ClassVar[str] = "VideoGenerationRequested"
    event_version: ClassVar[int] = 2

    requested_by: Id
    provider: ProviderName
    spec: ClipSpec
    # The project photo the spec's image was taken from, when there is one.
    image_asset_id: Id | None = None
    # That photo in the store, for a worker that does not share the API's disk (the spec's
    # image is then None: it names a path only on a disk every worker shares).
    image_stored: ObjectRef | None = None
    # The timeline segment the clip is meant for (their "storyboard shot"), if any.
    segment_index: int | None = Field(default=None, ge=0, le=INT32_MAX)


class VideoGenerationStarted(_GenerationPayload):
    """A worker took the request and handed it to its provider."""

    event_type: ClassVar[str] = "VideoGenerationStarted"

    worker_id: Id
    provider: ProviderName


class VideoGenerationProgress(_GenerationPayload):
    """How far the provider has got, as {progress, message}; the status stays processing."""

    event_type: ClassVar[str] = "VideoGenerationProgress"

    progress: float = Field(ge=0, le=1)
    message: Sentence = ""


class VideoGenerationCompleted(_GenerationPayload):
    """The clip is written and probed: where it is (in the store: `stored`, `thumbnail`; on a
    shared disk: the paths), what it is and what the provider said."""

    event_type: ClassVar[str] = "VideoGenerationCompleted"
    event_version: ClassVar[int] = 2

    provider: ProviderName
    model: str = Field(default="", max_length=100)
    task_id: str = Field(default="", max_length=200)
    video_url: Url = ""  # where the provider served it ("" for local)
    path: str | None = Field(default=None, min_length=1, max_length=4096)
    thumbnail_path: str | None = Field(default=None, min_length=1, max_length=4096)
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
    stored: ObjectRef | None = None
    thumbnail: ObjectRef | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.path is None and self.stored is None:
            raise ValueError("a generated clip needs a path or a stored object")
        if self.thumbnail_path is None and self.thumbnail is None:
            raise ValueError("a generated clip's thumbnail needs a path or a stored object")
        return self


class VideoGenerationFailed(_GenerationPayload):
    """The generation ended without a clip; the error is a sentence for people."""

    event_type: ClassVar[str] = "VideoGenerationFailed"

    provider: ProviderName
    error: Sentence = Field(min_length=1)
    error_code: str = Field(default="internal", pattern=r"^[a-z_]{1,32}$")
    attempts: int = Field(default=0, ge=0, le=1000)


class VideoGenerationDeleted(_GenerationPayload):
    """A user removed the generation; its record stays, marked deleted."""

    event_type: ClassVar[str] = "VideoGenerationDeleted"

    requested_by: Id
