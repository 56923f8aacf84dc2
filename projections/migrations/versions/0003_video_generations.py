"""placeholder for the video_generations revision, dropped at merge

Revision ID: 0003_video_generations
Revises: 0002_clip_task_segment
Create Date: 2026-12-02 09:00:00
"""

revision = "0003_video_generations"
down_revision = "0002_clip_task_segment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
