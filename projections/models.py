"""SQLAlchemy 2.0 read models: the tables the API queries and replay rebuilds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every read-model table."""

    type_annotation_map = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class RenderJob(Base):
    """A render job: what was asked, its status and progress, its output, with clip_stats in
    metrics.render."""

    __tablename__ = "render_jobs"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    workspace_id: Mapped[str | None] = mapped_column(String(128), index=True)
    project_id: Mapped[str | None] = mapped_column(String(128), index=True)
    requested_by: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    progress_message: Mapped[str] = mapped_column(Text)
    edl_hash: Mapped[str | None] = mapped_column(String(128))
    render_settings: Mapped[dict[str, Any] | None]
    trace_id: Mapped[str | None] = mapped_column(String(64))
    # The owning RenderRequested's event id: the cause a cancellation names.
    request_event_id: Mapped[str | None] = mapped_column(String(64))
    planned_tasks: Mapped[int | None] = mapped_column(Integer)
    output_path: Mapped[str | None] = mapped_column(Text)
    # The output in the store (storage.keys.render_key) and its SHA-256.
    output_key: Mapped[str | None] = mapped_column(String(512))
    output_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(32))
    # Provenance: which engine and workers made the output, and where it was published.
    engine_versions: Mapped[dict[str, Any] | None]
    clip_worker_ids: Mapped[list[str] | None] = mapped_column(JSON)
    assembler_worker_id: Mapped[str | None] = mapped_column(String(128))
    output_url: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]]
    created_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class ClipTask(Base):
    """One clip task of a render, with its outcome and timings."""

    __tablename__ = "clip_tasks"
    __table_args__ = (Index("ix_clip_tasks_render_job_id", "render_job_id"),)

    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    render_job_id: Mapped[str] = mapped_column(String(128))
    video_id: Mapped[str | None] = mapped_column(String(128))
    segment_index: Mapped[int | None] = mapped_column(Integer)
    timeline_in_ms: Mapped[int | None] = mapped_column(Integer)
    timeline_out_ms: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(24))
    attempt: Mapped[int] = mapped_column(Integer)
    retries: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int | None] = mapped_column(Integer)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    source_type: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    clip_path: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    fallback_reasons: Mapped[dict[str, Any]]
    # The render config version its latest attempt ran under (ClipTaskStarted 2).
    config_version: Mapped[int | None] = mapped_column(Integer, index=True)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class RenderConfigVersion(Base):
    """Every render clip configuration version ever published."""

    __tablename__ = "render_config_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    config: Mapped[dict[str, Any]]
    updated_by: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]


class AudioAnalysis(Base):
    """Beat analysis status and summary of an audio track."""

    __tablename__ = "audio_analyses"

    audio_track_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    bpm: Mapped[float | None] = mapped_column(Float)
    bpm_confidence: Mapped[float | None] = mapped_column(Float)
    beat_count: Mapped[int] = mapped_column(Integer)
    beat_grid_path: Mapped[str | None] = mapped_column(Text)
    beat_grid_key: Mapped[str | None] = mapped_column(String(512))
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class VideoGeneration(Base):
    """A generated clip's record, folded from the video.generations topic."""

    __tablename__ = "video_generations"
    __table_args__ = (Index("ix_video_generations_project_created", "project_id", "created_at"),)

    generation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(128))
    requested_by: Mapped[str | None] = mapped_column(String(128))
    provider: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(16))
    prompt: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(100))
    image_asset_id: Mapped[str | None] = mapped_column(String(128))
    segment_index: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    fps: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    style: Mapped[str | None] = mapped_column(String(16))
    motion_level: Mapped[float | None] = mapped_column(Float)
    camera_motion: Mapped[str | None] = mapped_column(String(16))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    progress_message: Mapped[str] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    task_id: Mapped[str | None] = mapped_column(String(200))
    video_url: Mapped[str | None] = mapped_column(Text)
    local_path: Mapped[str | None] = mapped_column(Text)
    thumbnail_path: Mapped[str | None] = mapped_column(Text)
    # The clip and its thumbnail in the store.
    storage_key: Mapped[str | None] = mapped_column(String(512))
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    checksum: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    output_fps: Mapped[float | None] = mapped_column(Float)
    codec: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer)
    provider_metadata: Mapped[dict[str, Any] | None]
    error_msg: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class MediaProxy(Base):
    """An upload's proxy per output size ("WxH") or "music": pending, completed (with its
    object in the store) or failed; a render uses the completed ones that fit."""

    __tablename__ = "media_proxies"

    asset_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    variant: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(512))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    recipe: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]


class ProjectorOffset(Base):
    """The next offset to read per projector and partition, written with the rows it produced."""

    __tablename__ = "projector_offsets"

    projector: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_offset: Mapped[int] = mapped_column(BigInteger)


# The tables replay rebuilds and digests; offsets are bookkeeping, not read models.
READ_MODEL_TABLES = (
    "render_jobs",
    "clip_tasks",
    "render_config_versions",
    "audio_analyses",
    "video_generations",
    "media_proxies",
)


def table_of(model: type[Base]) -> Table:
    """Return the Core table behind a model, for bulk statements."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


# The analytics windows' tables share the metadata (and the Alembic history).
from projections import window_models as _window_models  # noqa: E402,F401
