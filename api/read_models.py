"""Queries of the projections the API serves (read-only: the projector writes them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import AudioTrack, Project
from projections.models import AudioAnalysis, RenderJob


def analysis_of(session: Session, audio_track_id: str) -> AudioAnalysis | None:
    """The beat analysis row of an audio track, if the projector has seen its request."""
    return session.get(AudioAnalysis, audio_track_id)


def render_jobs_of(session: Session, project_id: str, limit: int = 100) -> list[RenderJob]:
    """A project's renders, newest first."""
    return list(
        session.scalars(
            select(RenderJob)
            .where(RenderJob.project_id == project_id)
            .order_by(RenderJob.created_at.desc(), RenderJob.id)
            .limit(limit)
        )
    )


def latest_render_status(session: Session, project_id: str) -> str | None:
    """Status of the project's newest render, if any."""
    jobs = render_jobs_of(session, project_id, limit=1)
    return jobs[0].status if jobs else None


def audio_track_of(session: Session, project: Project) -> AudioTrack | None:
    """The project's newest audio track (an upload replaces the previous one)."""
    return session.scalars(
        select(AudioTrack)
        .where(AudioTrack.project_id == project.id)
        .order_by(AudioTrack.created_at.desc())
        .limit(1)
    ).first()
