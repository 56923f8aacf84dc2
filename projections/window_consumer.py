"""The analytics consumer: the projector's machinery folding the log into tumbling windows.

It reads only the render, clip and config topics, under its own name in the offsets table
(its consumer group, in effect: the offsets live in the database, written in the same
transaction as the window rows, so a crash neither loses nor repeats an event), and holds its
own lock, so it runs beside the projector and never disturbs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, Engine

from events.base import Envelope
from events.topics import Topic
from projections.projector import Projector
from projections.store import TopicPartitionKey
from projections.window_store import load_windows, save_windows
from projections.windows import WINDOW_TOPICS, fold_windows

ANALYTICS_NAME = "analytics-windows"


class AnalyticsSettings(BaseSettings):
    """The analytics consumer's name and grace, from BEATSTITCH_ANALYTICS_*."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_ANALYTICS_", extra="ignore")

    # Its offsets' name; a second analytics consumer on the same database needs another.
    name: str = Field(default=ANALYTICS_NAME, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    # How long after a window's end (in event time, against its partition's newest event) an
    # event still changes it; a day at most, so late state stays bounded.
    grace_s: int = Field(default=600, ge=0, le=86_400)
    batch_size: int = Field(default=5000, ge=1, le=100_000)


class WindowSink:
    """Folds each batch into the analytics windows (projections.windows)."""

    topics: tuple[Topic, ...] = WINDOW_TOPICS
    dead_letters = False

    def __init__(self, grace: timedelta) -> None:
        self.grace = grace

    def commit(
        self, conn: Connection, events: list[Envelope[Any]], origins: list[TopicPartitionKey]
    ) -> None:
        """Load what the batch needs, fold it, write what changed."""
        if not events:
            return
        placed = list(zip(origins, events, strict=True))
        state = load_windows(conn, placed)
        before = set(state.tasks)
        save_windows(conn, before, fold_windows(state, placed, self.grace))

    def committed(self) -> None:
        """Nothing is cached between batches."""

    def rolled_back(self) -> None:
        """Nothing is cached between batches."""


def analytics_consumer(
    *,
    bootstrap: str,
    prefix: str,
    engine: Engine,
    settings: AnalyticsSettings | None = None,
    **options: Any,
) -> Projector:
    """A projector that folds the windows, named and tuned by the analytics settings."""
    settings = settings or AnalyticsSettings()
    return Projector(
        bootstrap=bootstrap,
        prefix=prefix,
        engine=engine,
        name=settings.name,
        batch_size=settings.batch_size,
        sink=WindowSink(timedelta(seconds=settings.grace_s)),
        **options,
    )
