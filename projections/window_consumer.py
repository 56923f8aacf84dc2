"""The analytics consumer: the projector's machinery folding the log into tumbling windows.

It reads only the render, clip and config topics, under its own name in the offsets table
(its consumer group, in effect: the offsets live in the database, written in the same
transaction as the window rows, so a crash neither loses nor repeats an event), and holds its
own lock, so it runs beside the projector and never disturbs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from events.base import Envelope
from events.topics import Topic
from projections.db import upgrade
from projections.projector import Projector
from projections.settings import AnalyticsSettings
from projections.store import TopicPartitionKey
from projections.window_store import load_windows, save_windows
from projections.windows import WINDOW_TOPICS, fold_windows


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


# What a dashboard's role may read: the figures, not the fold's state.
READABLE = ("analytics_window_counts", "analytics_window_samples")


def grant_reader(engine: Engine, role: str) -> None:
    """PostgreSQL: let `role` read the window tables and nothing else of ours (after the
    migrations, which create them). Other databases have no roles; nothing to do."""
    if engine.url.get_backend_name() != "postgresql":
        return
    upgrade(engine)
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        tables = ", ".join(quote(t) for t in READABLE)
        conn.execute(text(f"GRANT SELECT ON {tables} TO {quote(role)}"))
