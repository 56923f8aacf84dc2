"""Beat analysis payloads, keyed by audio track."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from events.base import Payload
from events.bounds import INT32_MAX
from events.ids import Id
from events.topics import Topic


class _AnalysisPayload(Payload):
    topic: ClassVar[Topic] = Topic.ANALYSIS
    key_field: ClassVar[str] = "audio_track_id"

    audio_track_id: Id
    project_id: Id


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
