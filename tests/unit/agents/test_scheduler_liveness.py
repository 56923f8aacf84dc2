"""The clip scheduler acks only what produced its outcome, stops cleanly and stays bounded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.errors import KafkaTimeoutError

from agents.pool import PoolClosed
from agents.scheduler import ClipScheduler
from events.payloads import RenderClipConfig


async def no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


async def test_a_task_whose_outcome_was_not_produced_is_not_acked_and_runs_again() -> None:
    runs: list[int] = []
    acked: list[int] = []

    async def work(item: int, slot: int) -> None:
        runs.append(item)
        if len(runs) <= 2:
            raise KafkaTimeoutError()  # the broker did not acknowledge the outcome

    scheduler = ClipScheduler(limits=RenderClipConfig, run=work, sleep=no_wait)
    scheduler.submit("v", 7, lambda: acked.append(7))
    await asyncio.sleep(0)
    assert acked == []  # the failed produce is not an outcome
    await scheduler.idle()
    assert runs == [7, 7, 7] and acked == [7]


async def test_a_task_that_raises_a_bug_is_handed_to_on_error_then_acked() -> None:
    acked: list[str] = []
    errors: list[BaseException] = []

    async def work(item: str, slot: int) -> None:
        raise IndexError("segment_index 9 out of range")

    async def on_error(exc: BaseException) -> None:
        errors.append(exc)

    scheduler = ClipScheduler(limits=RenderClipConfig, run=work, sleep=no_wait)
    scheduler.submit("v", "t", lambda: acked.append("t"), on_error=on_error)
    await scheduler.idle()
    assert [type(e) for e in errors] == [IndexError] and acked == ["t"]


async def test_stop_starts_nothing_more_and_leaves_cut_tasks_unacked() -> None:
    started: list[int] = []
    acked: list[int] = []
    gate = asyncio.Event()

    async def work(item: int, slot: int) -> None:
        started.append(item)
        await gate.wait()

    scheduler = ClipScheduler(limits=lambda: RenderClipConfig(max_parallelism=2), run=work)
    for i in range(5):
        scheduler.submit(f"v{i}", i, lambda i=i: acked.append(i))
    await asyncio.sleep(0)
    assert started == [0, 1]
    assert await scheduler.stop(grace_s=0.05) == 2
    scheduler.submit("v9", 9, lambda: acked.append(9))
    gate.set()
    await asyncio.sleep(0.01)
    assert started == [0, 1] and acked == [] and scheduler.pending == 0


async def test_stop_lets_tasks_finish_within_the_grace() -> None:
    acked: list[int] = []

    async def work(item: int, slot: int) -> None:
        await asyncio.sleep(0.01)

    scheduler = ClipScheduler(limits=RenderClipConfig, run=work)
    scheduler.submit("v", 1, lambda: acked.append(1))
    await asyncio.sleep(0)
    assert await scheduler.stop(grace_s=5) == 0
    assert acked == [1]


async def test_a_closed_pool_is_no_outcome_and_no_retry() -> None:
    runs: list[int] = []
    acked: list[int] = []

    async def work(item: int, slot: int) -> None:
        runs.append(item)
        raise PoolClosed("the worker is stopping")

    scheduler = ClipScheduler(limits=RenderClipConfig, run=work, sleep=no_wait)
    scheduler.submit("v", 1, lambda: acked.append(1))
    await scheduler.idle()
    assert runs == [1] and acked == []


async def test_room_waits_while_the_queue_is_full() -> None:
    gate = asyncio.Event()

    async def work(item: Any, slot: int) -> None:
        await gate.wait()

    config = RenderClipConfig(max_parallelism=1)
    scheduler = ClipScheduler(limits=lambda: config, run=work, queue_limit=3)
    for i in range(4):  # one runs, three wait: full
        scheduler.submit("v", i, lambda: None)
    waiting = asyncio.create_task(scheduler.room())
    await asyncio.sleep(0.01)
    assert not waiting.done() and scheduler.pending == 3
    gate.set()  # tasks finish, the queue drains
    await asyncio.wait_for(waiting, 1)
    await scheduler.idle()


async def test_a_long_queue_of_one_video_costs_little_per_submit() -> None:
    gate = asyncio.Event()

    async def work(item: Any, slot: int) -> None:
        await gate.wait()

    scheduler = ClipScheduler(limits=RenderClipConfig, run=work, queue_limit=100_000)
    began = time.perf_counter()
    for i in range(20_000):  # per_video_limit binds: all but two wait
        scheduler.submit("v", i, lambda: None)
    elapsed = time.perf_counter() - began
    assert scheduler.inflight == 2 and scheduler.pending == 19_998
    assert elapsed < 3.0, f"20,000 submits took {elapsed:.1f} s"
    await scheduler.stop(grace_s=0)
