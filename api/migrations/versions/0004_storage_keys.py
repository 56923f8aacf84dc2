"""media assets (and their thumbnails) and audio tracks name their files in the store

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media_assets") as batch:
        batch.add_column(sa.Column("storage_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("thumbnail_key", sa.String(length=512), nullable=True))
    with op.batch_alter_table("audio_tracks") as batch:
        batch.add_column(sa.Column("storage_key", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audio_tracks") as batch:
        batch.drop_column("storage_key")
    with op.batch_alter_table("media_assets") as batch:
        batch.drop_column("thumbnail_key")
        batch.drop_column("storage_key")
