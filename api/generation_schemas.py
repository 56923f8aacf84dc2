"""Request and response bodies of the video generation routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Utc
from engine.generation.spec import CameraMotion, LocalKind, Style
from events.ids import Id

GenerationStatus = Literal["pending", "processing", "completed", "failed"]


class GenerationCreate(BaseModel):
    """What to generate; left out: the defaults below and the service's default provider."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: str = Field(min_length=1, max_length=500)
    provider: str | None = Field(
        default=None, description="local, runway, openai, pika or custom; default: the setting"
    )
    kind: LocalKind = Field(
        default=LocalKind.TITLE_CARD,
        description="What the local provider draws; image_move needs image_asset_id",
    )
    model: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._:/-]*$")
    image_asset_id: Id | None = Field(default=None, description="A photo of this project")
    duration_s: float = Field(default=4.0, ge=0.5, le=20.0)
    fps: int = Field(default=24, ge=1, le=60)
    width: int = Field(default=1280, ge=16, le=3840)
    height: int = Field(default=720, ge=16, le=2160)
    style: Style = "plain"
    motion_level: float = Field(default=0.5, ge=0.0, le=1.0)
    camera_motion: CameraMotion = "zoom_in"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    segment_index: int | None = Field(
        default=None, ge=0, le=100_000, description="The timeline segment the clip is for"
    )
    start_s: float = Field(
        default=0.0,
        ge=0.0,
        le=86_400.0,
        description="beat_pulse: where in the song the clip's beats start",
    )


class GenerationAccepted(BaseModel):
    """A queued generation: poll it or follow its events."""

    generation_id: str
    status: GenerationStatus
    status_url: str
    events_url: str


class GenerationOut(BaseModel):
    """A video generation record as the API shows it."""

    id: str
    project_id: str
    provider: str | None
    kind: str | None
    prompt: str | None
    model: str | None
    image_asset_id: str | None
    image_url: str | None
    first_frame_url: str | None
    video_url: str | None = Field(description="Where this API serves the clip, once completed")
    provider_video_url: str | None = Field(description="Where the provider served the output")
    asset_id: str | None = Field(description="The clip as a media asset of the project")
    segment_index: int | None
    duration: float | None = Field(description="Asked length in seconds")
    duration_ms: int | None = Field(description="The clip's length as probed")
    fps: int | None
    resolution: str | None
    aspect_ratio: str | None
    width: int | None
    height: int | None
    style: str | None
    motion_level: float | None
    camera_motion: str | None
    seed: int | None
    status: GenerationStatus
    progress: float
    message: str
    task_id: str | None
    attempts: int
    provider_metadata: dict[str, str]
    error_msg: str | None
    error_code: str | None
    created_at: Utc | None
    updated_at: Utc | None
    completed_at: Utc | None
    deleted_at: Utc | None
