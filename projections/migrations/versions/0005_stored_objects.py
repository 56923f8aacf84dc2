"""read models name the objects in the store: a render's output, a song's beat grid, a
generated clip and its thumbnail

Revision ID: 0005_stored_objects
Revises: 0004_render_job_provenance
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_stored_objects"
down_revision = "0004_render_job_provenance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("render_jobs") as batch:
        batch.add_column(sa.Column("output_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("output_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("audio_analyses") as batch:
        batch.add_column(sa.Column("beat_grid_key", sa.String(length=512), nullable=True))
    with op.batch_alter_table("video_generations") as batch:
        batch.add_column(sa.Column("storage_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("thumbnail_key", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("video_generations") as batch:
        batch.drop_column("thumbnail_key")
        batch.drop_column("storage_key")
    with op.batch_alter_table("audio_analyses") as batch:
        batch.drop_column("beat_grid_key")
    with op.batch_alter_table("render_jobs") as batch:
        batch.drop_column("output_sha256")
        batch.drop_column("output_key")
