"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from api.clock import as_utc
from api.settings_schema import settings_schema
from engine.render_settings import RenderSettings

# SQLite hands back naive datetimes; every time the API shows is UTC and says so.
Utc = Annotated[datetime, AfterValidator(as_utc)]


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"is not an e-mail address: {exc}") from None


def _any_case(name: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in name)


# The document says what the validator refuses: addresses at special-use domains (.test,
# .local, .invalid, …), which no one can receive mail at.
_SPECIAL_USE = "|".join(_any_case(d) for d in SPECIAL_USE_DOMAIN_NAMES)
# At most four atoms of 15: a local part stays within its 64 characters.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,15}"
# No "ab--" at a label's start: that is IDNA's mark (xn--) and must be valid punycode.
_LABEL = r"(?![A-Za-z0-9]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?![A-Za-z0-9]{2}--)[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z])?"
# A dot-atom local part and an ASCII domain name with a dot, whose last label starts and
# ends with a letter and is not special-use: what the validator takes, said so a generator
# can follow.
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM}){{0,3}}@(?:{_LABEL}\.)+(?!(?:{_SPECIAL_USE})$){_TLD}$"

Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema(
        {"type": "string", "format": "email", "maxLength": 254, "pattern": EMAIL_PATTERN}
    ),
]


class Credentials(BaseModel):
    """E-mail and password, to register or to log in."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=8, max_length=256)


Role = Literal["admin", "user"]


class NewAccount(Credentials):
    """An account an administrator creates (the only way in when registration is closed)."""

    role: Role = "user"


class Registered(BaseModel):
    """A new user and the workspace made for them."""

    user_id: str
    email: str
    workspace_id: str
    role: Role = "user"


class TokenOut(BaseModel):
    """A bearer token for the Authorization header."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: Utc
    user_id: str
    workspace_id: str
    role: Role = "user"


class WorkspaceOut(BaseModel):
    """A workspace of the caller."""

    id: str
    name: str
    created_at: Utc


def _whole_numbers_as_int(value: Any) -> Any:
    # JSON does not tell 2.0 from 2, and the document's `integer` takes both; RenderSettings is
    # strict (no "2", no true), so a whole float is made an int before it judges.
    if isinstance(value, dict):
        return {k: _whole_numbers_as_int(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumbers = BeforeValidator(_whole_numbers_as_int)


class ProjectCreate(BaseModel):
    """A new project; settings left out take RenderSettings' defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    workspace_id: str | None = None
    settings: Annotated[
        RenderSettings, WholeNumbers, WithJsonSchema(settings_schema(partial=False))
    ] = RenderSettings()


class ProjectUpdate(BaseModel):
    """A partial update; `settings` is merged into the current ones, then validated."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: Annotated[
        dict[str, Any] | None, WholeNumbers, WithJsonSchema(settings_schema(partial=True))
    ] = None


ProjectStatus = Literal["draft", "analyzing", "ready", "rendering", "complete", "error"]


ClipState = Literal["queued", "running", "done", "fell back", "placeholder", "failed"]


class ClipOut(BaseModel):
    """One clip task of a render, as a timeline block shows it."""

    segment_index: int | None
    timeline_in_ms: int | None
    timeline_out_ms: int | None
    state: ClipState = Field(
        description="queued, running, done (from its own file), fell back (done from a "
        "fallback source), placeholder (the black clip instead of the file) or failed"
    )
    source_type: str | None
    attempts: int
    fallback_reasons: dict[str, Any]
    worker_id: str | None
    slot: int | None
    duration_ms: int | None
    queued_at: Utc | None
    started_at: Utc | None
    finished_at: Utc | None
    error_message: str | None


class LatestRender(BaseModel):
    """A project's newest render, as a project card shows it."""

    job_id: str
    kind: str | None
    status: str
    progress: float
    status_url: str
    poster_url: str | None = Field(
        description="A JPEG of the video once the render is complete (made on first request)"
    )


class ProjectOut(BaseModel):
    """A project with its status derived from its audio analysis and latest render."""

    id: str
    workspace_id: str
    name: str
    status: ProjectStatus
    settings: RenderSettings
    media_count: int
    audio_track_id: str | None
    latest_render: LatestRender | None = None
    created_at: Utc
    updated_at: Utc


class ProxyOut(BaseModel):
    """A proxy a worker makes of an upload so renders decode little: for one output size
    ("WxH") or the song as AAC ("music"); a render reads the original until it is made."""

    variant: str
    status: Literal["pending", "completed", "failed"]


class MediaOrder(BaseModel):
    """A project's photos and clips in their new timeline order: every asset, once."""

    model_config = ConfigDict(extra="forbid")

    asset_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=10_000)


class MediaOut(BaseModel):
    """An uploaded photo or clip and what probing found."""

    id: str
    project_id: str
    position: int
    kind: Literal["image", "video"]
    content_type: str
    filename: str
    size_bytes: int
    checksum: str
    width: int
    height: int
    rotation: int
    display_aspect_ratio: float | None
    duration_ms: int | None
    fps: float | None
    codec: str
    thumbnail_url: str
    created_at: Utc
    origin: Literal["upload", "generated"] = "upload"
    generation_id: str | None = None
    proxies: list[ProxyOut] = []


AnalysisStatus = Literal["pending", "completed", "failed"]


class AudioOut(BaseModel):
    """A project's music and the state of its beat analysis."""

    id: str
    project_id: str
    filename: str
    content_type: str
    size_bytes: int
    checksum: str
    duration_ms: int
    analysis_status: AnalysisStatus
    bpm: float | None = Field(description="None while pending, or when no clear beat was found")
    bpm_confidence: float | None
    beat_count: int
    beat_found: bool | None = Field(
        description="False when the analysis found no clear beat (silence, a drone, speech): "
        "the timeline is then cut at a steady pace; None while the analysis runs or failed"
    )
    analysis_error: str | None
    beats_url: str
    proxies: list[ProxyOut] = []


class TimelineOut(BaseModel):
    """A project's EDL and where it came from."""

    project_id: str
    edl_hash: str
    origin: Literal["generated", "edited"]
    segment_count: int
    cutting: str = Field(
        description="How the music is cut, in words: 'cutting every 4 beats', or "
        "'no clear beat found; cutting every 8 s' when the analysis found no beat"
    )
    total_duration_ms: int
    updated_at: Utc
    edl: dict[str, Any]


class RenderCreate(BaseModel):
    """Which quality to render: preview (half size, fastest) or final."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["preview", "final"] = "final"


class RenderAccepted(BaseModel):
    """A queued render: poll the job, follow its events or cancel it."""

    job_id: str
    task_id: str
    status: str
    status_url: str
    events_url: str


class PlaceholderOut(BaseModel):
    """A segment that shows the black placeholder clip instead of its file, and why."""

    segment_index: int | None
    start_ms: int | None
    end_ms: int | None
    media_id: str | None
    file_name: str | None
    reason: str
    message: str


class RenderProvenance(BaseModel):
    """What made a render's output: the engine, the workers of each step, the settings
    snapshot it was asked with and where its output can be fetched."""

    # beatstitch, pyav, ffmpeg and libavcodec versions of the joining worker; None before
    # the clips are joined, and for renders joined before they were recorded.
    engine_version: dict[str, str] | None
    # Every worker that rendered one of its clips, each once, sorted.
    clip_workers: list[str]
    assembling_worker: str | None
    render_settings: dict[str, Any] | None
    # This API's download URL once complete, then the output's published URL, if any.
    output_urls: list[str]


class RenderJobOut(BaseModel):
    """A render job as the read model has it."""

    job_id: str
    workspace_id: str | None
    project_id: str | None
    kind: str | None
    status: str
    progress: float
    message: str
    edl_hash: str | None
    video_urls: list[str]
    file_size: int | None
    duration_ms: int | None
    clip_stats: dict[str, Any] | None
    # Empty when every segment shows its own file.
    placeholders: list[PlaceholderOut] = []
    provenance: RenderProvenance
    error_message: str | None
    error_code: str | None
    trace_id: str | None
    created_at: Utc | None
    started_at: Utc | None
    completed_at: Utc | None
    updated_at: Utc | None


class ProgressEvent(BaseModel):
    """One server-sent progress event of a render."""

    status: str
    progress: float
    message: str
    timestamp: Utc | None


class ConfigOut(BaseModel):
    """The render clip configuration in force, and its version (0: never set, defaults)."""

    version: int
    config: dict[str, Any]
    updated_by: str | None
    updated_at: Utc | None


class ConfigField(BaseModel):
    """One setting of the render clip config: its range, default and meaning, as
    RenderClipConfig's JSON Schema states them."""

    name: str
    type: str
    # Whole numbers today; a float setting added later is shown as it is.
    minimum: int | float | None
    maximum: int | float | None
    default: int | float | None
    description: str


class ConfigFieldsOut(BaseModel):
    """The config's settings in order, and whether the caller may change them (if not, the
    sentence a PATCH would answer)."""

    fields: list[ConfigField]
    may_edit: bool
    why_not: str | None


class ConfigChange(BaseModel):
    """One value a version changed, against the version before it (version 0: defaults)."""

    field: str
    before: Any
    after: Any


class ConfigVersionOut(ConfigOut):
    """A past or current version, with what it changed."""

    changes: list[ConfigChange]


class ConfigVersionsOut(BaseModel):
    """A page of versions, newest first; `next_before` asks for the next (older) page."""

    versions: list[ConfigVersionOut]
    next_before: int | None


class WorkerGroupState(BaseModel):
    """The worker consumer group: live members, and clip tasks none of them has taken."""

    members: int
    clip_tasks_waiting: int


class ProjectorState(BaseModel):
    """Whether a projector holds its lock (None: the database cannot tell) and the events it
    has not folded into the read models yet."""

    running: bool | None
    events_waiting: int


class PipelineStatus(BaseModel):
    """Whether the readers of the pipeline are there and keep up."""

    worker: WorkerGroupState
    projector: ProjectorState


class Health(BaseModel):
    """Whether the API's database and Kafka answer: "ok", or what is wrong with each."""

    status: Literal["ok", "degraded"]
    database: str
    kafka: str
