"""Render clip configuration, hot-reloaded by every worker."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from events.base import Payload
from events.topics import Topic

CONFIG_NAME = "render_clip_config"


class RenderClipConfig(BaseModel):
    """Limits and retry policy of clip rendering; a config outside these ranges is rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_parallelism: int = Field(default=4, ge=1, le=6)
    per_video_limit: int = Field(default=2, ge=1, le=6)
    max_retry: int = Field(default=2, ge=0, le=10)
    placeholder_asset_path: str = Field(default="media/fallback/clip_placeholder.mp4", min_length=1)
    retry_backoff_base_ms: int = Field(default=500, ge=0, le=60_000)
    metrics_flush_interval_s: int = Field(default=5, ge=1, le=300)


class RenderConfigUpdated(Payload):
    """A new configuration version; the compacted topic keeps the latest."""

    event_type: ClassVar[str] = "RenderConfigUpdated"
    topic: ClassVar[Topic] = Topic.RENDER_CONFIG
    key_field: ClassVar[str] = "config_name"

    config_name: str = Field(default=CONFIG_NAME, pattern=f"^{CONFIG_NAME}$")
    version: int = Field(ge=1)
    config: RenderClipConfig
    updated_by: str = "system"
