"""clip tasks know their segment's place in the output and their file's name

Revision ID: 0002_clip_task_segment
Revises: 0001
Create Date: 2026-12-02 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_clip_task_segment"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clip_tasks") as batch:
        batch.add_column(sa.Column("timeline_in_ms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("timeline_out_ms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clip_tasks") as batch:
        batch.drop_column("file_name")
        batch.drop_column("timeline_out_ms")
        batch.drop_column("timeline_in_ms")
