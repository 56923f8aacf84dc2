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
    error: str | None = None
    requested_at: datetime | None = None
    completed_at: datetime | None = None
