"""The load bench's figures: one row per route whatever the ids, and honest percentiles."""

from __future__ import annotations

import pytest

from bench.load import percentile, route_template


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
