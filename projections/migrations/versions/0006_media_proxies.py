"""media_proxies: each upload's proxies (per output size, or the song's), made by a worker
and kept in the store, so a render request names them

Revision ID: 0006_media_proxies
Revises: 0005_stored_objects
Create Date: 2026-12-02 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_media_proxies"
down_revision = "0005_stored_objects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_proxies",
        sa.Column("asset_id", sa.String(length=128), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("recipe", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("asset_id", "variant"),
    )


def downgrade() -> None:
    op.drop_table("media_proxies")
