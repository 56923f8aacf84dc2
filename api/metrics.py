"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

API_REQUESTS = Counter(
    "api_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
API_REQUEST_SECONDS = Histogram(
    "api_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
)
API_PROJECTION_TIMEOUTS = Counter(
    "api_projection_wait_timeouts_total",
    "Writes answered 503 because the projector had not folded their event in time",
)
API_SSE_STREAMS = Gauge("api_sse_streams", "Progress streams (SSE) open now")
API_SSE_KAFKA_CONSUMERS = Gauge(
    "api_sse_kafka_consumers",
    "Kafka consumers the progress streams use now: the shared tail, plus short gap readers",
)
