"""media assets know whether they were uploaded or generated, and from which generation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media_assets") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=16), server_default="upload", nullable=False)
        )
        batch.add_column(sa.Column("generation_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_assets") as batch:
        batch.drop_column("generation_id")
        batch.drop_column("origin")
