"""The API's one way into the read models: every query of the projections the API serves.

Read-only (the projector writes them). Routes and streams ask here and nowhere else, so
the projections' tables can change behind one module.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka.structs import TopicPartition
from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import Session

from api.models import AudioTrack, Project
from domain.render_job import JobState
from projections.models import (
    AudioAnalysis,
    ClipTask,
    MediaProxy,
    ProjectorOffset,
    RenderConfigVersion,
    RenderJob,
    VideoGeneration,
    table_of,
)
from projections.store import job_from_row, next_offset
from projections.window_queries import read_windows
from projections.windows import SIZE_NAMES as WINDOW_SIZES

__all__ = [
    "WINDOW_SIZES",
    "analytics_windows",
    "AudioAnalysis",
    "ClipTask",
    "MediaProxy",
    "RenderConfigVersion",
    "RenderJob",
    "VideoGeneration",
    "analysis_of",
    "audio_track_of",
    "job_snapshot",
    "latest_config_version",
    "projected_offset",
    "projected_offsets",
    "render_job",
    "render_jobs_of",
    "clip_tasks_of",
    "config_versions",
    "workspace_render_jobs",
    "generation_of",
    "generations_of",
    "render_job_statuses",
    "current_audio",
    "proxies_of",
]


def analysis_of(session: Session, audio_track_id: str) -> AudioAnalysis | None:
    """The beat analysis row of an audio track, if the projector has seen its request."""
    return session.get(AudioAnalysis, audio_track_id)


def proxies_of(session: Session, asset_ids: list[str]) -> dict[str, list[MediaProxy]]:
    """The upload proxies of assets (songs too), newest first, by asset id."""
    found: dict[str, list[MediaProxy]] = {a: [] for a in asset_ids}
    if not asset_ids:
        return found
    stmt = (
        select(MediaProxy)
        .where(MediaProxy.asset_id.in_(asset_ids))
        .order_by(MediaProxy.updated_at.desc(), MediaProxy.variant)
    )
    for row in session.scalars(stmt):
        found[row.asset_id].append(row)
    return found


def generation_of(session: Session, generation_id: str) -> VideoGeneration | None:
    """One video generation record, if the projector has folded its request."""
    return session.get(VideoGeneration, generation_id)


def generations_of(
    session: Session, project_id: str, *, completed_only: bool = False, limit: int = 200
) -> list[VideoGeneration]:
    """A project's generations that are not deleted, newest first."""
    query = select(VideoGeneration).where(
        VideoGeneration.project_id == project_id, VideoGeneration.deleted_at.is_(None)
    )
    if completed_only:
        query = query.where(VideoGeneration.status == "completed")
    order = (VideoGeneration.created_at.desc(), VideoGeneration.generation_id)
    return list(session.scalars(query.order_by(*order).limit(limit)))


def render_job(session: Session, job_id: str) -> RenderJob | None:
    """One render job, if the projector has folded its request."""
    return session.get(RenderJob, job_id)


def render_jobs_of(session: Session, project_id: str, limit: int = 100) -> list[RenderJob]:
    """A project's renders, newest first."""
    return _newest_jobs(session, RenderJob.project_id == project_id, limit)


def clip_tasks_of(session: Session, job_id: str) -> list[ClipTask]:
    """A render's clip tasks, in timeline order."""
    rows = session.scalars(select(ClipTask).where(ClipTask.render_job_id == job_id))
    return sorted(rows, key=lambda t: (t.segment_index is None, t.segment_index or 0, t.task_id))


def workspace_render_jobs(session: Session, workspace_id: str, limit: int = 100) -> list[RenderJob]:
    """A workspace's renders, newest first."""
    return _newest_jobs(session, RenderJob.workspace_id == workspace_id, limit)


def _newest_jobs(session: Session, where: ColumnElement[bool], limit: int) -> list[RenderJob]:
    return list(
        session.scalars(
            select(RenderJob)
            .where(where)
            .order_by(RenderJob.created_at.desc(), RenderJob.id)
            .limit(limit)
        )
    )


def latest_config_version(session: Session) -> RenderConfigVersion | None:
    """The newest render clip configuration the projector has folded, if any."""
    return session.scalars(
        select(RenderConfigVersion).order_by(RenderConfigVersion.version.desc()).limit(1)
    ).first()


def config_versions(
    session: Session, *, before: int | None, limit: int
) -> list[RenderConfigVersion]:
    """Up to `limit` render clip config versions below `before` (all if None), newest first."""
    query = select(RenderConfigVersion)
    if before is not None:
        query = query.where(RenderConfigVersion.version < before)
    return list(session.scalars(query.order_by(RenderConfigVersion.version.desc()).limit(limit)))


def audio_track_of(session: Session, project: Project) -> AudioTrack | None:
    """The project's newest audio track (an upload replaces the previous one)."""
    return session.scalars(
        select(AudioTrack)
        .where(AudioTrack.project_id == project.id)
        .order_by(AudioTrack.created_at.desc())
        .limit(1)
    ).first()


def projected_offset(engine: Engine, projector: str, topic: str, partition: int) -> int:
    """The next offset the projector will read on a partition (0 before it read any)."""
    with engine.connect() as conn:
        return next_offset(conn, projector, topic, partition)


def projected_offsets(engine: Engine, projector: str) -> dict[tuple[str, int], int]:
    """The next offset the projector will read on every partition it has read, in one query."""
    query = select(ProjectorOffset.topic, ProjectorOffset.partition, ProjectorOffset.next_offset)
    with engine.connect() as conn:
        rows = conn.execute(query.where(ProjectorOffset.projector == projector)).all()
    return {(topic, partition): int(offset) for topic, partition, offset in rows}


def job_snapshot(
    engine: Engine, projector: str, job_id: str, tp: TopicPartition
) -> tuple[JobState, int] | None:
    """A job's state and an offset on its partition that the state is at least as new as."""
    # The offset first: the projector commits rows and offsets together, so a row read
    # after it is at least as new as the offset.
    offset = projected_offset(engine, projector, tp.topic, tp.partition)
    jobs = table_of(RenderJob)
    with engine.connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return None if row is None else (job_from_row(row), offset)


def render_job_statuses(session: Session) -> list[tuple[str, str | None, str]]:
    """Every render the read model knows: its id, project and status."""
    rows = session.execute(select(RenderJob.id, RenderJob.project_id, RenderJob.status)).all()
    return [(job, project, status) for job, project, status in rows]


def current_audio(session: Session) -> tuple[frozenset[Path], frozenset[Path]]:
    """Every project's newest audio track (an upload replaces the previous one), and its grid."""
    newest: dict[str, AudioTrack] = {}
    for track in session.scalars(select(AudioTrack).order_by(AudioTrack.created_at)):
        newest[track.project_id] = track
    ids = [t.id for t in newest.values()]
    grids = session.scalars(
        select(AudioAnalysis.beat_grid_path).where(AudioAnalysis.audio_track_id.in_(ids))
    )
    return (
        frozenset(Path(t.path).resolve() for t in newest.values()),
        frozenset(Path(g).resolve() for g in grids if g),
    )


def analytics_windows(
    session: Session, size_s: int, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The analytics windows of one size starting in [since, until), with their figures."""
    return read_windows(session.connection(), size_s, since, until)
