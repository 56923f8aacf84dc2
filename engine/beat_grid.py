"""The beat grid: what the analyzer found in a music track (tempo, beats, bars)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Beat(BaseModel):
    """One beat: when it falls, where it sits in the bar and how sure we are."""

    model_config = ConfigDict(frozen=True)

    time_ms: int = Field(ge=0)
    beat_number: int = Field(ge=1, le=4)
    is_downbeat: bool
    confidence: float = Field(ge=0.0, le=1.0)


class Measure(BaseModel):
    """One bar, from its downbeat to the next one."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    beat_count: int = Field(ge=1)


class BeatGrid(BaseModel):
    """Beats, bars and tempo of one audio file, keyed by the file's checksum."""

    model_config = ConfigDict(frozen=True)

    # None: no clear beat was found (silence, a drone, speech); beats is then empty.
    bpm: float | None = Field(gt=0)
    bpm_confidence: float = Field(ge=0.0, le=1.0)
    downbeat_confidence: float = Field(ge=0.0, le=1.0)
    beats: list[Beat]
    measures: list[Measure]
    sample_rate: int = Field(gt=0)
    duration_ms: int = Field(ge=0)
    analyzer: str
    audio_file_checksum: str
