"""video generation records

Revision ID: 0003_video_generations
Revises: 0002_clip_task_segment
Create Date: 2026-12-02 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_video_generations"
down_revision = "0002_clip_task_segment"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "video_generations",
        sa.Column("generation_id", sa.String(length=128), nullable=False),
        sa.Column("project_id", sa.String(length=128), nullable=True),
        sa.Column("requested_by", sa.String(length=128), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("image_asset_id", sa.String(length=128), nullable=True),
        sa.Column("segment_index", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("fps", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("style", sa.String(length=16), nullable=True),
        sa.Column("motion_level", sa.Float(), nullable=True),
        sa.Column("camera_motion", sa.String(length=16), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("progress_message", sa.Text(), nullable=False),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.Column("task_id", sa.String(length=200), nullable=True),
        sa.Column("video_url", sa.Text(), nullable=True),
        sa.Column("local_path", sa.Text(), nullable=True),
        sa.Column("thumbnail_path", sa.Text(), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("output_fps", sa.Float(), nullable=True),
        sa.Column("codec", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_metadata", sa.JSON(), nullable=True),
        sa.Column("error_msg", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", WHEN, nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("completed_at", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=True),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("generation_id"),
    )
    op.create_index(
        "ix_video_generations_project_created",
        "video_generations",
        ["project_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_video_generations_project_created", table_name="video_generations")
    op.drop_table("video_generations")
