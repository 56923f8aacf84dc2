"""The analytics windows against the real broker: equal to a recount from the events, late
events in their window (or counted as too late past the grace), and a replay identical."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from events.base import Envelope, make_event
from events.kafka_io import EventProducer
from events.payloads import ClipTaskFellBack
from events.payloads.common import FailureReason, SourceType
from projections.db import make_engine
from projections.digest import analytics_digest
from projections.settings import AnalyticsSettings
from projections.window_consumer import analytics_consumer, grant_reader
from projections.window_queries import read_windows
from tests.support.clip_events import render_payloads
from tests.support.window_events import W0, recount, spread_run

SPAN = (W0 - timedelta(hours=3), W0 + timedelta(hours=3))


async def _fold(bootstrap: str, prefix: str, url: str, batch_size: int = 5000) -> int:
    engine = make_engine(url)
    try:
        settings = AnalyticsSettings(grace_s=600, batch_size=batch_size)
        consumer = analytics_consumer(
            bootstrap=bootstrap, prefix=prefix, engine=engine, settings=settings
        )
        return (await consumer.run(until_end=True)).events
    finally:
        engine.dispose()


def _windows(url: str, size: int) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return read_windows(conn, size, *SPAN)
    finally:
        engine.dispose()


def _fell_back(job: str, at_s: float) -> Envelope[Any]:
    payload = ClipTaskFellBack(
        task_id=f"{job}-t1",
        render_job_id=job,
        video_id=f"{job}-v1",
        segment_index=1,
        attempt=0,
        from_source=SourceType.REMOTE,
        to_source=SourceType.LOCAL,
        reason=FailureReason.NOT_FOUND,
    )
    return make_event(payload, trace_id="trace-late", occurred_at=W0 + timedelta(seconds=at_s))


async def test_windows_equal_a_recount_take_late_events_and_replay_identically(
    kafka_bootstrap: str, topic_prefix: str, database_url: str, tmp_path: Path
) -> None:
    events = spread_run()
    assert max(e.occurred_at for e in events) - W0 > timedelta(minutes=6)
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        # One event written twice (same id): it counts once.
        await producer.send_many([*events, events[10]])
        assert await _fold(kafka_bootstrap, topic_prefix, database_url) == len(events) + 1
        assert _windows(database_url, 60) == recount(events, 60)
        first_minute = _windows(database_url, 60)[0]
        assert first_minute["renders"]["requested"] == 1
        assert first_minute["fallback_reasons"] == {"cdn_error": 1, "not_found": 1, "timeout": 1}

        # Written after everything else, stamped in the first minute: within the 10 min grace.
        late_request = make_event(
            render_payloads("win-late")[0],
            trace_id="trace-late",
            occurred_at=W0 + timedelta(seconds=30),
        )
        late_fallback = _fell_back("win-0", 20)
        # Two hours old: its windows closed long before its partition's newest event.
        too_late = _fell_back("win-0", -7200)
        late = [late_request, late_fallback, too_late]
        await producer.send_many(late)
    await _fold(kafka_bootstrap, topic_prefix, database_url)

    every = [*events, *late]
    for size in (60, 3600):
        assert _windows(database_url, size) == recount(every, size, frozenset({too_late.event_id}))
    minutes = _windows(database_url, 60)
    old = minutes[0]
    assert old["too_late"] == {"ClipTaskFellBack": 1}  # the window it belonged to says so
    assert old["renders"] == {"requested": 0, "completed": 0, "failed": 0, "cancelled": 0}
    first_minute = minutes[1]
    assert first_minute["renders"]["requested"] == 2
    assert first_minute["fallback_reasons"] == {"cdn_error": 1, "not_found": 2, "timeout": 1}
    assert len(minutes) >= 8
    hour = _windows(database_url, 3600)[1]
    assert hour["renders"] == {"requested": 7, "completed": 4, "failed": 1, "cancelled": 1}
    assert hour["placeholder_rate"] == round(6 / 36, 4)
    assert set(hour["clip_duration_ms"]["by_worker"]) == {"worker-0", "worker-1"}
    assert hour["config_versions"] == [1, 2]

    again = f"sqlite:///{tmp_path / 'again.db'}"
    await _fold(kafka_bootstrap, topic_prefix, again, batch_size=7)
    live = analytics_digest(make_engine(database_url))
    replayed = analytics_digest(make_engine(again))
    assert replayed == live
    assert [d.rows for d in live][:2] == [d.rows for d in replayed][:2] != [0, 0]


def test_a_dashboard_role_reads_the_figures_and_nothing_else(postgres_url: str) -> None:
    owner = make_engine(postgres_url)
    role = f"dash_{uuid.uuid4().hex[:8]}"
    with owner.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD 'dash-pass-1'"))
    grant_reader(owner, role)
    as_reader = make_url(postgres_url).set(username=role, password="dash-pass-1")
    reader = make_engine(as_reader.render_as_string(hide_password=False))
    with reader.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_window_samples")).scalar() == 0
    with reader.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
        conn.execute(sa.text("SELECT * FROM analytics_tasks"))
    with reader.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
        conn.execute(sa.text("SELECT * FROM render_jobs"))
    reader.dispose()
    owner.dispose()
