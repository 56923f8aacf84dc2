"""The Grafana analytics dashboard's SQL, run on PostgreSQL after the analytics consumer
folded a run: the same figures as GET /api/v1/analytics/windows (projections.window_queries)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from events.kafka_io import EventProducer
from projections.db import make_engine
from projections.settings import AnalyticsSettings
from projections.window_consumer import analytics_consumer
from projections.window_queries import read_windows
from tests.support.window_events import W0, spread_run

DASHBOARD = (
    Path(__file__).resolve().parents[3] / "docker/grafana/dashboards/beatstitch-analytics.json"
)
SINCE, UNTIL = W0 - timedelta(hours=1), W0 + timedelta(hours=1)


def _panels() -> dict[str, str]:
    board = json.loads(DASHBOARD.read_text())
    return {p["title"]: p["targets"][0]["rawSql"] for p in board["panels"]}


def _run(engine: sa.Engine, sql: str) -> list[dict[str, Any]]:
    # Grafana's macros, as it expands them for the dashboard's time range and window size.
    sql = sql.replace("$__timeFilter(window_start)", "window_start BETWEEN :since AND :until")
    sql = sql.replace("$size", "60")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql), {"since": SINCE, "until": UNTIL})
        return [dict(r._mapping) for r in rows]


def _t(value: datetime) -> datetime:
    return value.astimezone(UTC)


async def test_the_dashboard_shows_the_apis_figures(
    kafka_bootstrap: str, topic_prefix: str, postgres_url: str
) -> None:
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(spread_run())
    engine = make_engine(postgres_url)
    settings = AnalyticsSettings(grace_s=600)
    await analytics_consumer(
        bootstrap=kafka_bootstrap, prefix=topic_prefix, engine=engine, settings=settings
    ).run(until_end=True)
    with engine.connect() as conn:
        windows = read_windows(conn, 60, SINCE, UNTIL)
    assert len(windows) >= 7
    panels = _panels()

    renders = _run(engine, panels["Renders per window"])
    assert {(_t(r["time"]), r["metric"]): r["value"] for r in renders} == {
        (w["start"], k): n for w in windows for k, n in w["renders"].items() if n
    }
    for title, figure in (
        ("Render wall time p50 / p95", "render_wall_ms"),
        ("Queue → start wait p50 / p95", "queue_start_ms"),
    ):
        got = {_t(r["time"]): (r["p50"], r["p95"]) for r in _run(engine, panels[title])}
        want = {
            w["start"]: (w[figure]["p50"], w[figure]["p95"]) for w in windows if w[figure]["count"]
        }
        assert got == want and got, title
    for title, by in (
        ("Clip task duration p50 / p95 by source type", "by_source_type"),
        ("Clip task duration p50 / p95 by worker", "by_worker"),
    ):
        got = {
            (_t(r["time"]), r["metric"]): (r["p50"], r["p95"]) for r in _run(engine, panels[title])
        }
        want = {
            (w["start"], k): (s["p50"], s["p95"])
            for w in windows
            for k, s in w["clip_duration_ms"][by].items()
        }
        assert got == want and got, title
    rates = _run(engine, panels["Placeholder rate"])
    assert {_t(r["time"]): float(r["placeholder_rate"]) for r in rates} == {
        w["start"]: w["placeholder_rate"] for w in windows if w["placeholder_rate"] is not None
    }
    fallbacks = _run(engine, panels["Fallback reasons"])
    assert {(_t(r["time"]), r["metric"]): r["value"] for r in fallbacks} == {
        (w["start"], k): n for w in windows for k, n in w["fallback_reasons"].items()
    }
    versions = {
        _t(r["time"]): r["version"] for r in _run(engine, panels["Config version in force"])
    }
    for w in windows:
        if w["start"] in versions:
            assert versions[w["start"]] == max(w["config_versions"])
    assert sorted(versions.values()) == [1, 2]
    engine.dispose()
