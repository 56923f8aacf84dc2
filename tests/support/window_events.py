"""A run of renders spread over minutes of event time, and an independent recount of the
analytics windows from the same events (what projections.windows must agree with)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from events.base import Envelope, make_event
from events.payloads import (
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderCancelled,
    RenderClipConfig,
    RenderCompleted,
    RenderConfigUpdated,
    RenderFailed,
    RenderRequested,
)
from tests.support.clip_events import render_payloads

W0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _with_worker(payload: Any, worker: str) -> Any:
    if isinstance(payload, ClipTaskStarted):
        return payload.model_copy(update={"worker_id": worker})
    return payload


def spread_run(renders: int = 6, step_s: float = 2.0, gap_s: float = 70.0) -> list[Envelope[Any]]:
    """Renders (one failed, one cancelled, the rest complete with fallbacks and a placeholder
    each) starting `gap_s` apart, their events `step_s` apart, by two workers; two config
    versions in between. Event times spread over several minutes."""
    out: list[Envelope[Any]] = []
    for r in range(renders):
        job = f"win-{r}"
        payloads = [_with_worker(p, f"worker-{i % 2}") for i, p in enumerate(render_payloads(job))]
        if r == 1:
            payloads[-1] = RenderFailed(render_job_id=job, error="the music file is missing")
        elif r == 3:
            payloads[-1] = RenderCancelled(render_job_id=job, requested_by="u", reason="no")
        start = W0 + timedelta(seconds=gap_s * r)
        out += [
            make_event(p, trace_id="trace-win", occurred_at=start + timedelta(seconds=step_s * i))
            for i, p in enumerate(payloads)
        ]
    for version, at_s in ((1, 5), (2, 200)):
        config = RenderConfigUpdated(version=version, config=RenderClipConfig(max_parallelism=3))
        out.append(
            make_event(config, trace_id="trace-win", occurred_at=W0 + timedelta(seconds=at_s))
        )
    return out


def _rank(values: list[int], q: float) -> int | None:
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1] if ordered else None


def _stat(values: list[int]) -> dict[str, int | None]:
    return {"count": len(values), "p50": _rank(values, 0.5), "p95": _rank(values, 0.95)}


def _ms(a: datetime, b: datetime) -> int:
    return round((a - b).total_seconds() * 1000)


def _blank() -> dict[str, Any]:
    return {
        "renders": defaultdict(int),
        "wall": [],
        "queued": 0,
        "outcomes": defaultdict(int),
        "durations": [],
        "waits": [],
        "fallbacks": defaultdict(int),
        "configs": [],
        "late": defaultdict(int),
    }


def recount(
    events: list[Envelope[Any]], size: int, late: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Every window of `size` seconds as GET /api/v1/analytics/windows shows it, counted
    straight from the events in log order (ids in `late` only as too late)."""
    unique: dict[str, Envelope[Any]] = {}
    for env in events:
        unique.setdefault(env.event_id, env)
    windows: dict[datetime, dict[str, Any]] = defaultdict(_blank)
    requested: dict[str, datetime] = {}
    queued: dict[str, datetime] = {}
    first_start: dict[str, Envelope[Any]] = {}
    worker: dict[str, str] = {}

    def win(at: datetime) -> dict[str, Any]:
        epoch = int(at.timestamp())
        return windows[datetime.fromtimestamp(epoch - epoch % size, UTC)]

    for env in unique.values():
        p, at = env.payload, env.occurred_at
        if isinstance(p, RenderRequested):
            requested.setdefault(p.render_job_id, at)
        if isinstance(p, ClipTaskQueued):
            queued.setdefault(p.task_id, at)
        if isinstance(p, ClipTaskStarted):
            first_start.setdefault(p.task_id, env)
            worker[p.task_id] = p.worker_id
        if env.event_id in late:
            win(at)["late"][env.type] += 1
            continue
        w = win(at)
        kind = {
            RenderRequested: "requested",
            RenderCompleted: "completed",
            RenderFailed: "failed",
            RenderCancelled: "cancelled",
        }.get(type(p))
        if kind:
            w["renders"][kind] += 1
        if isinstance(p, RenderCompleted):
            w["wall"].append(_ms(at, requested[p.render_job_id]))
        elif isinstance(p, ClipTaskQueued):
            w["queued"] += 1
        elif isinstance(p, ClipTaskSucceeded | ClipTaskFailed):
            source = p.source_type.value if isinstance(p, ClipTaskSucceeded) else "none"
            w["outcomes"][source] += 1
            who = getattr(p, "worker_id", None) or worker.get(p.task_id, "unknown")
            w["durations"].append((source, who, p.duration_ms))
        elif isinstance(p, ClipTaskFellBack):
            w["fallbacks"][p.reason.value] += 1
        elif isinstance(p, RenderConfigUpdated):
            w["configs"].append(p.version)
    for task, started in first_start.items():
        if task in queued and started.event_id not in late:
            win(started.occurred_at)["waits"].append(_ms(started.occurred_at, queued[task]))
    return _shape(windows, size)


def _shape(windows: dict[datetime, dict[str, Any]], size: int) -> list[dict[str, Any]]:
    out = []
    in_force: list[int] = []
    for start in sorted(windows):
        w = windows[start]
        durations = w["durations"]
        by_source: dict[str, list[int]] = defaultdict(list)
        by_worker: dict[str, list[int]] = defaultdict(list)
        for source, who, ms in durations:
            by_source[source].append(ms)
            by_worker[who].append(ms)
        total = sum(w["outcomes"].values())
        floor = max(in_force) if in_force else None
        versions = ([floor] if floor else []) + [v for v in w["configs"] if v >= (floor or 0)]
        in_force += w["configs"]
        out.append(
            {
                "start": start,
                "end": start + timedelta(seconds=size),
                "renders": {
                    k: w["renders"][k] for k in ("requested", "completed", "failed", "cancelled")
                },
                "render_wall_ms": _stat(w["wall"]),
                "clip_tasks_queued": w["queued"],
                "clip_outcomes": dict(sorted(w["outcomes"].items())),
                "clip_duration_ms": {
                    "all": _stat([ms for _, _, ms in durations]),
                    "by_source_type": {k: _stat(v) for k, v in sorted(by_source.items())},
                    "by_worker": {k: _stat(v) for k, v in sorted(by_worker.items())},
                },
                "queue_start_ms": _stat(w["waits"]),
                "fallback_reasons": dict(sorted(w["fallbacks"].items())),
                "placeholder_rate": round(w["outcomes"]["placeholder"] / total, 4)
                if total
                else None,
                "failed_without_clip": w["outcomes"]["none"],
                "config_updates": sorted(w["configs"]),
                "too_late": dict(sorted(w["late"].items())),
                "config_versions": sorted(set(versions)),
            }
        )
    return out
