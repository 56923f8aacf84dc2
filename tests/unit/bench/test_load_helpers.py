"""The load bench's figures: one row per route whatever the ids, and honest percentiles."""

from __future__ import annotations

import pytest

from bench.load_figures import histogram_quantile, percentile, route_template


def test_ids_are_replaced_so_each_route_is_one_row() -> None:
    one = "/api/v1/video/workspaces/ws-0123456789abcdef/render/jobs/render-fedcba9876543210"
    other = "/api/v1/video/workspaces/ws-aaaaaaaaaaaaaaaa/render/jobs/render-bbbbbbbbbbbbbbbb"
    assert route_template("get", one) == route_template("GET", other)
    assert route_template("GET", one) == "GET /api/v1/video/workspaces/{id}/render/jobs/{id}"
    assert route_template("GET", f"{one}/events?x=1").endswith("/jobs/{id}/events")


def test_words_of_the_path_stay() -> None:
    assert route_template("POST", "/api/v1/auth/login") == "POST /api/v1/auth/login"
    assert route_template("GET", "/api/v1/projects/proj-12/audio") == (
        "GET /api/v1/projects/proj-12/audio"
    )


def test_percentiles_interpolate_and_survive_no_values() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(list(reversed(values)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 95) == 0.0


METRICS = """\
# TYPE api_request_duration_seconds histogram
api_request_duration_seconds_bucket{le="0.05",method="GET",route="/r/{id}"} 90.0
api_request_duration_seconds_bucket{le="0.1",method="GET",route="/r/{id}"} 96.0
api_request_duration_seconds_bucket{le="+Inf",method="GET",route="/r/{id}"} 100.0
api_request_duration_seconds_bucket{le="0.05",method="POST",route="/r/{id}"} 0.0
api_request_duration_seconds_bucket{le="+Inf",method="POST",route="/r/{id}"} 1.0
api_request_duration_seconds_count{method="GET",route="/r/{id}"} 100.0
api_request_duration_seconds_sum{method="GET",route="/r/{id}"} 3.0
"""


def test_the_apis_own_p95_is_the_bucket_that_holds_it() -> None:
    assert histogram_quantile(METRICS, "GET", "/r/{id}", 95) == 0.1
    assert histogram_quantile(METRICS, "GET", "/r/{id}", 50) == 0.05
    assert histogram_quantile(METRICS, "POST", "/r/{id}", 95) == float("inf")
    assert histogram_quantile(METRICS, "GET", "/elsewhere", 95) is None
    assert histogram_quantile(None, "GET", "/r/{id}", 95) is None
