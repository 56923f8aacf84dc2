"""One projector per database: a second one waits (or refuses), and stored offsets are
compared-and-set, so two projectors never count an event twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from events.kafka_io import EventProducer
from projections.db import make_engine, upgrade
from projections.projector import Projector
from projections.projector_lock import ProjectorBusy, ProjectorLock
from projections.store import OffsetsMoved, load_offsets, save_offsets
from tests.support.clip_events import render_payloads, stamp
from tests.support.projecting import clip_stats_of, rows


def test_a_second_lock_of_the_same_name_is_refused_until_the_first_is_released(
    database_url: str,
) -> None:
    first = ProjectorLock(make_engine(database_url), "projector")
    second = ProjectorLock(make_engine(database_url), "projector")
    other_name = ProjectorLock(make_engine(database_url), "projector-copy")
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        assert other_name.try_acquire()
        with pytest.raises(ProjectorBusy) as refused:
            second.acquire()
        # What the person starting a second projector reads:
        assert "another projector named 'projector' is already folding into" in str(refused.value)
        assert "password" not in str(refused.value)
    finally:
        first.release()
        other_name.release()
    assert second.try_acquire()
    second.release()


def test_stale_offsets_roll_the_batch_back(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    key = ("beatstitch.clip.events", 0)
    with engine.begin() as conn:
        save_offsets(conn, "p", {key: 10}, {})
    with engine.begin() as conn:
        save_offsets(conn, "p", {key: 20}, {key: 10})  # the expected one: moves on
    with pytest.raises(OffsetsMoved) as moved, engine.begin() as conn:
        save_offsets(conn, "p", {key: 30}, {key: 10})  # another writer got to 20 first
    assert "expected stored offset 10 for beatstitch.clip.events[0]" in str(moved.value)
    with pytest.raises(OffsetsMoved), engine.begin() as conn:
        save_offsets(conn, "p", {key: 15}, {})  # inserting a partition someone else stored
    with engine.connect() as conn:
        assert load_offsets(conn, "p") == {key: 20}


async def test_two_projectors_started_at_once_fold_every_event_once(
    kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> None:
    events = stamp(render_payloads("job-twice", tasks=6))
    async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
        await producer.send_many(events)
    stop = asyncio.Event()
    engines = [make_engine(database_url) for _ in range(2)]
    first, second = (
        Projector(bootstrap=kafka_bootstrap, prefix=topic_prefix, engine=e) for e in engines
    )
    runs = [asyncio.create_task(p.run(stop=stop)) for p in (first, second)]
    # Exactly one of them folds; wait until it has reached the end of the log.
    await _until(lambda: first.stats.events + second.stats.events >= len(events))
    assert sorted([first.stats.events, second.stats.events]) == [0, len(events)]
    standby = second if first.stats.events else first
    await asyncio.sleep(0)  # the standby is still waiting for the lock, not folding
    assert standby.stats.batches == 0
    stop.set()
    await asyncio.gather(*runs)

    # Produced vs folded: one job, six tasks with one outcome each, counted once.
    (job,) = rows(database_url, "SELECT status FROM render_jobs")
    assert job["status"] == "complete"
    tasks = rows(database_url, "SELECT task_id, status FROM clip_tasks")
    assert len(tasks) == len({t["task_id"] for t in tasks}) == 6
    stats = clip_stats_of(database_url, "job-twice")
    assert (stats["total_tasks"], stats["success_tasks"] + stats["failed_tasks"]) == (6, 6)
    for engine in engines:
        engine.dispose()


async def test_a_projector_that_will_not_wait_says_why(
    kafka_bootstrap: str, topic_prefix: str, database_url: str
) -> None:
    holder = ProjectorLock(make_engine(database_url), "projector")
    upgrade(holder.engine)
    assert holder.try_acquire()
    try:
        runner = Projector(
            bootstrap=kafka_bootstrap,
            prefix=topic_prefix,
            engine=make_engine(database_url),
            wait_for_lock=False,
        )
        with pytest.raises(ProjectorBusy):
            await runner.run(until_end=True)
        assert runner.stats.events == 0
    finally:
        holder.release()


async def _until(done: object, timeout_s: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not done():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)
