"""Beat analysis payloads, keyed by audio track."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from events.base import Payload
from events.bounds import INT32_MAX
from events.ids import Id
from events.payloads.common import ObjectRef
from events.topics import Topic


class _AnalysisPayload(Payload):
    topic: ClassVar[Topic] = Topic.ANALYSIS
    key_field: ClassVar[str] = "audio_track_id"

    audio_track_id: Id
    project_id: Id


class BeatAnalysisRequested(_AnalysisPayload):
    """An audio track was uploaded and needs its beat grid: the track is in the store
    (`stored`), or at a path on a shared disk."""

    event_type: ClassVar[str] = "BeatAnalysisRequested"
    event_version: ClassVar[int] = 2

    audio_path: str | None = Field(default=None, min_length=1)
    checksum: str = Field(min_length=1)
    stored: ObjectRef | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.audio_path is None and self.stored is None:
            raise ValueError("the audio track needs a path or a stored object")
        return self


class BeatAnalysisCompleted(_AnalysisPayload):
    """The analysis finished, successfully or not; a grid kept in the store is `beat_grid`
    (`beat_grid_path` for one on a shared disk)."""

    event_type: ClassVar[str] = "BeatAnalysisCompleted"
    event_version: ClassVar[int] = 2

    status: str = Field(pattern="^(completed|failed)$")
    bpm: float | None = Field(default=None, gt=0)
    bpm_confidence: float | None = Field(default=None, ge=0, le=1)
    beat_count: int = Field(default=0, ge=0, le=INT32_MAX)
    beat_grid_path: str | None = None
    beat_grid_checksum: str | None = None
    error: str = ""
    beat_grid: ObjectRef | None = None
