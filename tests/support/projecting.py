"""Helpers for integration tests that run the projector against the real broker."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from projections.db import make_engine
from projections.projector import Projector, ProjectorStats


async def project(bootstrap: str, prefix: str, url: str, batch_size: int = 5000) -> ProjectorStats:
    """Run the projector until it has caught up with the log."""
    engine = make_engine(url)
    try:
        runner = Projector(bootstrap=bootstrap, prefix=prefix, engine=engine, batch_size=batch_size)
        return await runner.run(until_end=True)
    finally:
        engine.dispose()


def rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run a query against a read-model database and return plain dicts."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def clip_stats_of(url: str, job: str) -> dict[str, Any]:
    """Return metrics.render.clip_stats of one render job."""
    (row,) = rows(url, "SELECT metrics FROM render_jobs WHERE id = :j", j=job)
    metrics = row["metrics"]
    if isinstance(metrics, str):  # SQLite hands JSON back as text through plain SQL
        import json

        metrics = json.loads(metrics)
    return dict(metrics["render"]["clip_stats"])
