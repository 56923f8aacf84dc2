"""What an audit reads from the read models: a job's clip_stats, the config versions and which
renders ran under each."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, inspect, select

from projections.config_history import ConfigVersion
from projections.models import ClipTask, RenderConfigVersion, RenderJob

_NEEDED = {"render_jobs", "clip_tasks", "render_config_versions"}


class NoReadModels(RuntimeError):
    """The database holds no read models to audit against."""


def require_read_models(engine: Engine) -> None:
    """Raise NoReadModels with a sentence unless the audit's tables are there."""
    missing = _NEEDED - set(inspect(engine).get_table_names())
    if missing:
        raise NoReadModels(
            f"{engine.url.render_as_string()} has no read models ({', '.join(sorted(missing))} "
            "missing); point BEATSTITCH_DATABASE_URL at the projector's database"
        )


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back times without their zone; every time we store is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def read_model_clip_stats(engine: Engine, render_job_id: str) -> dict[str, Any] | None:
    """The job's clip_stats as the read model holds them (None: no row, or no stats)."""
    with engine.connect() as conn:
        metrics = conn.execute(
            select(RenderJob.metrics).where(RenderJob.id == render_job_id)
        ).scalar_one_or_none()
    stats = ((metrics or {}).get("render") or {}).get("clip_stats")
    return stats if isinstance(stats, dict) else None


def config_versions(engine: Engine) -> list[ConfigVersion]:
    """Every config version the projector has seen, in version order."""
    t = RenderConfigVersion
    query = select(t.version, t.config, t.updated_by, t.occurred_at).order_by(t.version)
    with engine.connect() as conn:
        return [
            ConfigVersion(row.version, dict(row.config), row.updated_by, _utc(row.occurred_at))
            for row in conn.execute(query)
        ]


def renders_by_config_version(engine: Engine) -> dict[int | None, list[str]]:
    """Per config version (None: not recorded), the renders with a clip task under it."""
    query = select(ClipTask.config_version, ClipTask.render_job_id).distinct()
    found: dict[int | None, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        for version, job in conn.execute(query):
            found[version].append(job)
    return {v: sorted(jobs) for v, jobs in found.items()}
