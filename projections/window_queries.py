"""Reading the analytics windows back as figures: counts, exact percentiles (nearest rank)
from the raw samples, the placeholder rate and the config versions in force."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from projections.models import table_of
from projections.window_models import WindowCount, WindowSample
from projections.windows import NO_CLIP


def nearest_rank(values: list[int], q: float) -> int | None:
    """The q-quantile by nearest rank: the smallest value with a share q at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def summary(values: list[int]) -> dict[str, int | None]:
    """Count, p50 and p95 of raw values."""
    return {
        "count": len(values),
        "p50": nearest_rank(values, 0.50),
        "p95": nearest_rank(values, 0.95),
    }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _by(samples: list[Any], attr: str) -> dict[str, dict[str, int | None]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for s in samples:
        groups[getattr(s, attr) or ""].append(s.value_ms)
    return {k: summary(v) for k, v in sorted(groups.items())}


def _window(
    start: datetime, size: int, counts: dict[tuple[str, str], int], samples: list[Any]
) -> dict[str, Any]:
    def metric(name: str) -> dict[str, int]:
        return {d: n for (m, d), n in sorted(counts.items()) if m == name}

    def values(name: str) -> list[Any]:
        return [s for s in samples if s.metric == name]

    outcomes = metric("clip_outcomes")
    total = sum(outcomes.values())
    durations = values("clip_duration_ms")
    return {
        "start": start,
        "end": start + timedelta(seconds=size),
        "renders": {
            k: counts.get((f"renders_{k}", ""), 0)
            for k in ("requested", "completed", "failed", "cancelled")
        },
        "render_wall_ms": summary([s.value_ms for s in values("render_wall_ms")]),
        "clip_tasks_queued": counts.get(("clip_tasks_queued", ""), 0),
        "clip_outcomes": outcomes,
        "clip_duration_ms": {
            "all": summary([s.value_ms for s in durations]),
            "by_source_type": _by(durations, "source_type"),
            "by_worker": _by(durations, "worker_id"),
        },
        "queue_start_ms": summary([s.value_ms for s in values("queue_start_ms")]),
        "fallback_reasons": metric("fallbacks"),
        "placeholder_rate": None if not total else round(outcomes.get("placeholder", 0) / total, 4),
        "failed_without_clip": outcomes.get(NO_CLIP, 0),
        "config_updates": sorted(int(v) for v in metric("config_updates")),
        "too_late": metric("too_late"),
    }


def read_windows(
    conn: Connection, size: int, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Every window of `size` seconds starting in [since, until) that holds anything, oldest
    first, with the config versions in force during it."""
    counts_t, samples_t = table_of(WindowCount), table_of(WindowSample)
    counts: dict[datetime, dict[tuple[str, str], int]] = defaultdict(dict)
    stmt = select(counts_t).where(
        counts_t.c.size_s == size,
        counts_t.c.window_start >= since,
        counts_t.c.window_start < until,
    )
    for row in conn.execute(stmt):
        counts[_utc(row.window_start)][(row.metric, row.dimension)] = row._mapping["count"]
    samples: dict[datetime, list[Any]] = defaultdict(list)
    stmt = select(samples_t).where(
        samples_t.c.size_s == size,
        samples_t.c.window_start >= since,
        samples_t.c.window_start < until,
    )
    for row in conn.execute(stmt):
        samples[_utc(row.window_start)].append(row)
    # The version in force when a window opens: the highest published in any earlier window.
    history = conn.execute(
        select(counts_t.c.window_start, counts_t.c.dimension).where(
            counts_t.c.size_s == size,
            counts_t.c.metric == "config_updates",
            counts_t.c.window_start < until,
        )
    ).all()
    published = sorted((_utc(at), int(v)) for at, v in history)
    out = []
    for start in sorted(set(counts) | set(samples)):
        window = _window(start, size, counts[start], samples[start])
        before = [v for at, v in published if at < start]
        floor = max(before) if before else 0
        # A lower version published later is not in force (domain.render_config.supersedes).
        later = [v for v in window["config_updates"] if v >= floor]
        window["config_versions"] = sorted(set(([floor] if before else []) + later))
        out.append(window)
    return out
