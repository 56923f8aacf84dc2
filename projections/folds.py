"""Pure folds of the read models only the projector keeps: config versions and beat
analyses. (The job and clip-task folds are the domain's: domain.render_job, domain.clip_stats.)
No clock, no I/O, no randomness.

Every fold is idempotent (a redelivered event changes nothing) and the folds of
different topics commute, so a replay rebuilds the same rows whatever the
interleaving of partitions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.clip_stats import earliest, latest
from domain.render_config import supersedes
from events.base import Envelope
from events.payloads import BeatAnalysisCompleted, BeatAnalysisRequested, RenderConfigUpdated
from projections.state import AnalysisState, ConfigVersionState


def fold_config(current: ConfigVersionState | None, env: Envelope[Any]) -> ConfigVersionState:
    """Record a configuration version; a later update of the same version with other values
    replaces it (the log's order decides, as for the workers: domain.render_config)."""
    p: RenderConfigUpdated = env.payload
    if current is not None and not supersedes(p, current.version, current.config_model):
        return current
    return ConfigVersionState(
        version=p.version,
        config=p.config.model_dump(mode="json"),
        updated_by=p.updated_by,
        event_id=env.event_id,
        occurred_at=env.occurred_at,
    )


def fold_analysis(current: AnalysisState | None, env: Envelope[Any]) -> AnalysisState:
    """Fold a beat analysis event into the track's analysis row."""
    p = env.payload
    base = current or AnalysisState(audio_track_id=p.audio_track_id, project_id=p.project_id)
    if isinstance(p, BeatAnalysisRequested):
        new = replace(base, requested_at=earliest(base.requested_at, env.occurred_at))
    elif isinstance(p, BeatAnalysisCompleted):
        new = replace(
            base,
            status=p.status,
            bpm=p.bpm,
            bpm_confidence=p.bpm_confidence,
            beat_count=p.beat_count,
            beat_grid_path=p.beat_grid_path,
            error=p.error or None,
            completed_at=latest(base.completed_at, env.occurred_at),
        )
    else:
        raise TypeError(f"not an analysis event: {env.type}")
    return current if current is not None and new == current else new
