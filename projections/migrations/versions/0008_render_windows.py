"""analytics windows: one-minute and one-hour tumbling windows by event time, their raw
samples, and the state their fold keeps (task joins, request times, watermarks, seen ids)

Revision ID: 0008_render_windows
Revises: 0007_audit
Create Date: 2026-12-02 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_render_windows"
down_revision = "0007_audit"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "analytics_window_counts",
        sa.Column("size_s", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("window_start", _TIME, nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=128), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("size_s", "window_start", "metric", "dimension"),
    )
    op.create_table(
        "analytics_window_samples",
        sa.Column("size_s", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("window_start", _TIME, nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("value_ms", sa.BigInteger(), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=True),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("size_s", "window_start", "metric", "event_id"),
    )
    op.create_table(
        "analytics_tasks",
        sa.Column("task_id", sa.String(length=128), nullable=False),
        sa.Column("queued_at", _TIME, nullable=True),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("started_event_id", sa.String(length=64), nullable=True),
        sa.Column("start_late", sa.String(length=32), nullable=False),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.Column("waited", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_table(
        "analytics_requests",
        sa.Column("render_job_id", sa.String(length=128), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("render_job_id"),
    )
    op.create_table(
        "analytics_watermarks",
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("event_time", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition"),
    )
    op.create_table(
        "analytics_seen_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade() -> None:
    for table in (
        "analytics_seen_events",
        "analytics_watermarks",
        "analytics_requests",
        "analytics_tasks",
        "analytics_window_samples",
        "analytics_window_counts",
    ):
        op.drop_table(table)
