"""Tables of the analytics windows (projections.windows): their figures and the little state
their fold keeps. Not read models of the projector: the analytics consumer writes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from projections.models import Base


class WindowCount(Base):
    """A counter of a window: renders by outcome, clip outcomes by source type, fallbacks by
    reason, config updates by version, events too late by type."""

    __tablename__ = "analytics_window_counts"

    size_s: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class WindowSample(Base):
    """A raw value of a window (render wall time, clip task duration, queue→start wait), kept
    so that percentiles are exact and any breakdown can be computed again."""

    __tablename__ = "analytics_window_samples"

    size_s: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_ms: Mapped[int] = mapped_column(BigInteger)
    source_type: Mapped[str | None] = mapped_column(String(16))
    worker_id: Mapped[str | None] = mapped_column(String(128))


class WindowTask(Base):
    """A clip task's queue and first start times, to join them across partitions."""

    __tablename__ = "analytics_tasks"

    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    started_event_id: Mapped[str | None] = mapped_column(String(64))
    # Comma-separated window sizes for which the first start came too late.
    start_late: Mapped[str] = mapped_column(String(32))
    worker_id: Mapped[str | None] = mapped_column(String(128))
    waited: Mapped[bool] = mapped_column(Boolean)


class WindowRequest(Base):
    """When a render was requested, for its wall time."""

    __tablename__ = "analytics_requests"

    render_job_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    requested_at: Mapped[datetime]


class WindowWatermark(Base):
    """The newest event time read on a partition: what lateness is measured against."""

    __tablename__ = "analytics_watermarks"

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_time: Mapped[datetime]


class WindowSeenEvent(Base):
    """Every event id the windows have counted: one written twice counts once."""

    __tablename__ = "analytics_seen_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)


# Digested by projections.digest.analytics_digest: equal rows after any replay.
ANALYTICS_TABLES = (
    "analytics_window_counts",
    "analytics_window_samples",
    "analytics_tasks",
    "analytics_requests",
    "analytics_watermarks",
    "analytics_seen_events",
)
