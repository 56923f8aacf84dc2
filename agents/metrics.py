"""Prometheus metrics of the render workers; docker/grafana's dashboard queries these names."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RENDER_CLIP_INFLIGHT = Gauge(
    "render_clip_inflight", "Clip tasks running now in this worker", ["worker"]
)
RENDER_CLIP_DURATION_MS = Histogram(
    "render_clip_duration_ms",
    "Clip task duration in milliseconds",
    buckets=(50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000),
)
RENDER_CLIP_FAILURES = Counter(
    "render_clip_failures_total", "Clip source failures by reason", ["reason"]
)
RENDER_CLIP_PLACEHOLDER = Counter(
    "render_clip_placeholder_total", "Clips replaced by the placeholder clip"
)
RENDER_CONFIG_UPDATE = Counter(
    "render_config_update_total", "Render clip configuration versions applied"
)
RENDER_CONSUMER_LAG = Gauge(
    "render_consumer_lag",
    "Messages not yet consumed by this worker, summed over its partitions of a topic",
    ["topic"],
)
RENDER_HANDLER_ERRORS = Counter(
    "render_handler_errors_total",
    "Consumed events a worker's handler could not process (sent to the dead-letter topic)",
    ["consumer", "reason"],
)
RENDER_GC_FILES_FREED = Counter(
    "render_gc_files_freed_total", "Files removed by the worker's disk collection", ["kind"]
)
RENDER_GC_BYTES_FREED = Counter(
    "render_gc_bytes_freed_total", "Bytes freed by the worker's disk collection", ["kind"]
)
RENDER_PRODUCER_REPLACED = Counter(
    "render_producer_replaced_total",
    "Worker producers dropped and made anew: a send past its deadline, or lost sequence numbers",
    ["reason"],
)
RENDER_CLIP_REQUEUED = Counter(
    "render_clip_requeued_total",
    "Clip tasks queued again by the assembler's upkeep: their render stopped moving without them",
)
RENDER_GENERATIONS = Counter(
    "render_generations_total",
    "Video generations this worker ended, by provider and outcome (completed or failed)",
    ["provider", "outcome"],
)
RENDER_GENERATION_SECONDS = Histogram(
    "render_generation_seconds",
    "Time from taking a generation request to its outcome, by provider",
    ["provider"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
