"""Plain, immutable row states of the projector's own read models (config, analyses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.payloads import RenderClipConfig


@dataclass(frozen=True, slots=True)
class ConfigVersionState:
    """One accepted render clip configuration version."""

    version: int
    config: dict[str, Any]
    updated_by: str
    event_id: str
    occurred_at: datetime

    @property
    def config_model(self) -> RenderClipConfig:
        """The stored values as the config model (a row folded from a version 1 event may
        hold the placeholder path that version 2 no longer has)."""
        values = {k: v for k, v in self.config.items() if k != "placeholder_asset_path"}
        return RenderClipConfig.model_validate(values)


@dataclass(frozen=True, slots=True)
class AnalysisState:
    """An audio track's beat analysis status."""

    audio_track_id: str
    project_id: str | None = None
    status: str = "pending"
    bpm: float | None = None
    bpm_confidence: float | None = None
    beat_count: int = 0
    beat_grid_path: str | None = None
    beat_grid_key: str | None = None
    error: str | None = None
    requested_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GenerationState:
    """A video generation record: what was asked, where it stands and what came of it."""

    generation_id: str
    project_id: str | None = None
    requested_by: str | None = None
    provider: str | None = None
    kind: str | None = None
    prompt: str | None = None
    model: str | None = None
    image_asset_id: str | None = None
    segment_index: int | None = None
    duration_s: float | None = None
    fps: int | None = None
    width: int | None = None
    height: int | None = None
    style: str | None = None
    motion_level: float | None = None
    camera_motion: str | None = None
    seed: int | None = None
    status: str = "pending"
    progress: float = 0.0
    progress_message: str = ""
    worker_id: str | None = None
    task_id: str | None = None
    video_url: str | None = None
    local_path: str | None = None
    thumbnail_path: str | None = None
    storage_key: str | None = None
    thumbnail_key: str | None = None
    checksum: str | None = None
    size_bytes: int | None = None
    duration_ms: int | None = None
    output_fps: float | None = None
    codec: str | None = None
    attempts: int = 0
    provider_metadata: dict[str, Any] | None = None
    error_msg: str | None = None
    error_code: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProxyState:
    """One upload-time proxy of an asset: a video or still for one output size ("WxH"), or
    the song as AAC ("music"); pending until a worker reports it made or failed."""

    asset_id: str
    variant: str
    project_id: str | None = None
    kind: str | None = None
    status: str = "pending"
    key: str | None = None
    sha256: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    recipe: int | None = None
    error: str | None = None
    updated_at: datetime | None = None
