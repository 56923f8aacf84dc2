"""clip_tasks.config_version: the render config version a task's attempt ran under
(ClipTaskStarted 2), so the config's history can say which renders ran under each version;
render_jobs.request_event_id: the request's event id, which a cancellation names as its cause

Revision ID: 0007_audit
Revises: 0006_media_proxies
Create Date: 2026-12-02 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_audit"
down_revision = "0006_media_proxies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("render_jobs") as batch:
        batch.add_column(sa.Column("request_event_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("clip_tasks") as batch:
        batch.add_column(sa.Column("config_version", sa.Integer(), nullable=True))
        batch.create_index("ix_clip_tasks_config_version", ["config_version"])


def downgrade() -> None:
    with op.batch_alter_table("clip_tasks") as batch:
        batch.drop_index("ix_clip_tasks_config_version")
        batch.drop_column("config_version")
    with op.batch_alter_table("render_jobs") as batch:
        batch.drop_column("request_event_id")
