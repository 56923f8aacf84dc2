"""render jobs keep their provenance: engine versions, clip and joining workers, and the
output's published URL

Revision ID: 0004_render_job_provenance
Revises: 0003_video_generations
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_render_job_provenance"
down_revision = "0003_video_generations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("render_jobs") as batch:
        batch.add_column(sa.Column("engine_versions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("clip_worker_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("assembler_worker_id", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("output_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("render_jobs") as batch:
        batch.drop_column("output_url")
        batch.drop_column("assembler_worker_id")
        batch.drop_column("clip_worker_ids")
        batch.drop_column("engine_versions")
