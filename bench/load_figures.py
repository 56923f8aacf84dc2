"""The load bench's figures: latency per route, errors by kind, renders, streams, the report."""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.load_stack import Sampler

GET_JOB = "GET /api/v1/video/workspaces/{id}/render/jobs/{id}"
# The same route as the API's metrics label it.
API_GET_JOB = "/api/v1/video/workspaces/{workspace_id}/render/jobs/{job_id}"
# Ids are `prefix-` and 16 hex digits (api.clock.new_id); uuids too, to be safe.
_ID = re.compile(
    r"^(?:[a-z]+-[0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def route_template(method: str, path: str) -> str:
    """`GET /a/ws-0123456789abcdef/b` -> `GET /a/{id}/b`: one row per route, not per id."""
    path = path.split("?", 1)[0]
    parts = ["{id}" if _ID.match(p) else p for p in path.split("/")]
    return f"{method.upper()} {'/'.join(parts)}"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Recorder:
    """Every request's latency by route, the errors by kind, renders and open streams."""

    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    renders: Counter[str] = field(default_factory=Counter)
    streams_open: int = 0
    streams_peak: int = 0

    def latency(self, route: str, ms: float) -> None:
        """Record one answered request."""
        self.latencies.setdefault(route, []).append(ms)

    def stream_opened(self) -> None:
        """An SSE stream answered 200."""
        self.streams_open += 1
        self.streams_peak = max(self.streams_peak, self.streams_open)

    def stream_closed(self) -> None:
        """An SSE stream ended (or its reader stopped)."""
        self.streams_open -= 1

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        expect: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> httpx.Response | None:
        """Send a request and time it; None (and an error counted) unless it answers `expect`."""
        route = route_template(method, path)
        began = time.monotonic()
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.errors[f"{route}: {type(exc).__name__}"] += 1
            return None
        self.latency(route, (time.monotonic() - began) * 1000)
        if response.status_code not in expect:
            self.errors[f"{route}: {response.status_code}"] += 1
            return None
        return response


def metrics_text(url: str) -> str | None:
    """The API's Prometheus text, or None."""
    with contextlib.suppress(httpx.HTTPError):
        answer = httpx.get(f"{url}/metrics/", timeout=10, follow_redirects=True)
        if answer.status_code == 200:
            return answer.text
    return None


def histogram_quantile(metrics: str | None, method: str, route: str, q: float) -> float | None:
    """The upper bound (s) of the API histogram's bucket holding its q-th percentile request."""
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(metrics or ""):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "api_request_duration_seconds_bucket"
                and labels.get("method") == method
                and labels.get("route") == route
            ):
                buckets.append((float(labels["le"]), sample.value))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return None
    wanted = buckets[-1][1] * q / 100
    return next(le for le, count in buckets if count >= wanted)


def db_connections(metrics: str | None, sampler: Sampler | None) -> str:
    """What can be said of the database connections in use."""
    gauges = [
        line
        for line in (metrics or "").splitlines()
        if not line.startswith("#") and ("pool" in line or "db_connections" in line)
    ]
    if gauges:
        return "; ".join(gauges)
    said = "n/a (the API's /metrics has no pool gauge)"
    if sampler is not None and sampler.database is not None:
        said += (
            f"; most SQLite file handles the API held on the database: {sampler.peak_db_handles}"
        )
    return said


def report(
    rec: Recorder,
    elapsed_s: float,
    sampler: Sampler | None,
    metrics: str | None,
    idle_get_job_ms: list[float] | None = None,
) -> str:
    """The figures, one per line, ending with the RESULT line; `idle_get_job_ms` is the
    reference (GET /jobs/{id} on the idle stack, in the same run)."""
    lines = [f"{'route':<68} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    for route, ms in sorted(rec.latencies.items()):
        lines.append(
            f"{route:<68} {len(ms):>6} {percentile(ms, 50):>8.1f} "
            f"{percentile(ms, 95):>8.1f} {percentile(ms, 99):>8.1f}"
        )
    total = sum(len(ms) for ms in rec.latencies.values())
    completed = rec.renders["complete"]
    per_min = completed / (elapsed_s / 60) if elapsed_s > 0 else 0.0
    errors = sum(rec.errors.values())
    lines += [
        f"requests/s: {total / elapsed_s:.1f} ({total} requests in {elapsed_s:.0f} s)",
        f"renders: {rec.renders['requested']} requested, {completed} complete, "
        f"{rec.renders['failed']} failed, {rec.renders['cancelled']} cancelled; "
        f"{per_min:.1f} completed per minute",
        "errors: " + (", ".join(f"{k} x{n}" for k, n in rec.errors.most_common()) or "none"),
        f"SSE streams open at once, at most: {rec.streams_peak}",
    ]
    if sampler is None:
        lines.append("peak RSS: n/a (the services were not started by the bench)")
    else:
        lines.append(
            "peak RSS (process tree): "
            + ", ".join(f"{n} {kb / 1024:.0f} MB" for n, kb in sampler.peak_rss_kb.items())
        )
    lines.append(f"DB connections in use: {db_connections(metrics, sampler)}")
    inside = histogram_quantile(metrics, "GET", API_GET_JOB, 95)
    lines.append(
        "GET job p95 inside the API (its histogram's bucket, without the client's queueing): "
        + ("n/a" if inside is None else f"<= {inside * 1000:.0f} ms" if inside < 1e9 else "> 10 s")
    )
    get_job = rec.latencies.get(GET_JOB, [])
    if idle_get_job_ms and get_job:
        idle, loaded = percentile(idle_get_job_ms, 95), percentile(get_job, 95)
        lines.append(
            f"GET job p95 on the idle stack (reference, {len(idle_get_job_ms)} requests): "
            f"{idle:.1f} ms; under load {loaded:.0f} ms = {loaded / max(idle, 0.001):.0f}x"
        )
    lines.append(
        f"RESULT errors={errors} renders_per_min={per_min:.1f} "
        f"get_job_p95_ms={percentile(get_job, 95):.0f} sse_streams={rec.streams_peak}"
    )
    return "\n".join(lines)
