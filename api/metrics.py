"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
