"""Render clip configuration, hot-reloaded by every worker."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.base import Payload
from events.bounds import INT32_MAX
from events.topics import Topic

CONFIG_NAME = "render_clip_config"
# Version 1 let the config name the placeholder clip; every producer of ours wrote this value,
# which now means "the placeholder clip in its fixed place" (upcasters.py drops it).
LEGACY_PLACEHOLDER_PATH = "media/fallback/clip_placeholder.mp4"
PLACEHOLDER_FIXED = (
    "placeholder_asset_path cannot be set: the placeholder clip is always "
    "<artifacts_dir>/placeholder/clip_placeholder.mp4, written by the workers"
)


class RenderClipConfigV1(BaseModel):
    """Version 1's limits and retry policy, with the placeholder clip's path."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_parallelism: int = Field(default=4, ge=1, le=6)
    per_video_limit: int = Field(default=2, ge=1, le=6)
    max_retry: int = Field(default=2, ge=0, le=10)
    placeholder_asset_path: str = Field(default=LEGACY_PLACEHOLDER_PATH, min_length=1)
    retry_backoff_base_ms: int = Field(default=500, ge=0, le=60_000)
    metrics_flush_interval_s: int = Field(default=5, ge=1, le=300)


class RenderClipConfig(BaseModel):
    """Limits and retry policy of clip rendering; a config outside these ranges is rejected.

    The placeholder clip is not configurable: a path in the config would let whoever sets it
    show any file in every tenant's renders.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # The descriptions are what the studio's admin page writes beside each field.
    max_parallelism: int = Field(
        default=4, ge=1, le=6, description="Clip tasks one worker renders at once."
    )
    per_video_limit: int = Field(
        default=2, ge=1, le=6, description="Clip tasks cut from one source video at once."
    )
    max_retry: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a failing clip source before the next source is tried.",
    )
    retry_backoff_base_ms: int = Field(
        default=500,
        ge=0,
        le=60_000,
        description="Wait before the first retry, in milliseconds; doubled at each retry.",
    )
    metrics_flush_interval_s: int = Field(
        default=5,
        ge=1,
        le=300,
        description="Seconds between a worker's metrics flushes (workers serve their "
        "Prometheus metrics live and do not read it today).",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_placeholder_path(cls, data: Any) -> Any:
        # A sentence instead of pydantic's "Extra inputs are not permitted".
        if isinstance(data, dict) and "placeholder_asset_path" in data:
            raise ValueError(PLACEHOLDER_FIXED)
        return data


class RenderConfigUpdatedV1(Payload):
    """Version 1: a new configuration version, naming the placeholder clip's path."""

    event_type: ClassVar[str] = "RenderConfigUpdated"
    topic: ClassVar[Topic] = Topic.RENDER_CONFIG
    key_field: ClassVar[str] = "config_name"

    config_name: str = Field(default=CONFIG_NAME, pattern=f"^{CONFIG_NAME}$")
    version: int = Field(ge=1, le=INT32_MAX)
    config: RenderClipConfigV1
    updated_by: str = "system"


class RenderConfigUpdated(Payload):
    """A new configuration version; the compacted topic keeps the latest."""

    event_type: ClassVar[str] = "RenderConfigUpdated"
    event_version: ClassVar[int] = 2
    topic: ClassVar[Topic] = Topic.RENDER_CONFIG
    key_field: ClassVar[str] = "config_name"

    config_name: str = Field(default=CONFIG_NAME, pattern=f"^{CONFIG_NAME}$")
    version: int = Field(ge=1, le=INT32_MAX)
    config: RenderClipConfig
    updated_by: str = "system"
