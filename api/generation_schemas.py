"""Request and response bodies of the video generation routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonDict

from api.schemas import Utc
from engine.generation.registry import PROVIDERS
from engine.generation.spec import CameraMotion, LocalKind, Style
from events.ids import Id

GenerationStatus = Literal["pending", "processing", "completed", "failed"]


def _known_provider(name: str) -> str:
    if name not in PROVIDERS:
        raise ValueError(
            f"unknown provider {name!r}; this service has {', '.join(sorted(PROVIDERS))}"
        )
    return name


# The registry's names, as an enum in the OpenAPI document too.
ProviderChoice = Annotated[
    str,
    AfterValidator(_known_provider),
    WithJsonSchema({"type": "string", "enum": sorted(PROVIDERS)}),
]
# An image move needs its photo: a rule between two fields, stated in the schema as well.
NEEDS_PHOTO: JsonDict = {
    "if": {"properties": {"kind": {"const": "image_move"}}, "required": ["kind"]},
    "then": {"properties": {"image_asset_id": {"type": "string"}}, "required": ["image_asset_id"]},
}


class GenerationCreate(BaseModel):
    """What to generate; left out: the defaults below and the service's default provider."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra=NEEDS_PHOTO)

    prompt: str = Field(min_length=1, max_length=500)
    provider: ProviderChoice | None = Field(
        default=None, description="The video provider; default: the service's setting"
    )
    kind: LocalKind = Field(
        default=LocalKind.TITLE_CARD,
        description="What the local provider draws; image_move needs image_asset_id",
    )
    model: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._:/-]*$")
    image_asset_id: Id | None = Field(
        default=None, validate_default=True, description="A photo of this project"
    )
    duration_s: float = Field(default=4.0, ge=0.5, le=20.0)
    # The clip spec's own bounds, so what the schema calls valid the spec accepts.
    fps: int = Field(default=24, ge=12, le=60)
    width: int = Field(default=1280, ge=160, le=3840, multiple_of=2)
    height: int = Field(default=720, ge=120, le=2160, multiple_of=2)
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

    @field_validator("image_asset_id")
    @classmethod
    def _photo_for_a_move(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("kind") == LocalKind.IMAGE_MOVE:
            raise ValueError("an image_move clip needs a photo of the project")
        return value


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
