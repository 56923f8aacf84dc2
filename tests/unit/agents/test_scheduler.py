"""The clip scheduler holds both limits, measured from what actually ran at once."""

from __future__ import annotations

import asyncio
import random

from agents.scheduler import ClipScheduler
from events.payloads import RenderClipConfig


async def run_tasks(config: RenderClipConfig, videos: list[str]) -> list[tuple[str, str, int]]:
    log: list[tuple[str, str, int]] = []
    rnd = random.Random(7)

    async def work(item: tuple[int, str], slot: int) -> None:
        log.append(("start", item[1], slot))
        await asyncio.sleep(rnd.uniform(0.001, 0.01))
        log.append(("end", item[1], slot))

    done: list[int] = []
    scheduler = ClipScheduler(limits=lambda: config, run=work)
    for i, video in enumerate(videos):
        scheduler.submit(video, (i, video), lambda i=i: done.append(i))
    await scheduler.idle()
    assert sorted(done) == list(range(len(videos)))
    return log


def concurrency(log: list[tuple[str, str, int]]) -> tuple[int, dict[str, int]]:
    running: dict[str, int] = {}
    total = peak = 0
    per_video_peak: dict[str, int] = {}
    for what, video, _ in log:
        delta = 1 if what == "start" else -1
        running[video] = running.get(video, 0) + delta
        total += delta
        peak = max(peak, total)
        per_video_peak[video] = max(per_video_peak.get(video, 0), running[video])
    return peak, per_video_peak


async def test_defaults_reach_four_at_once_and_two_per_video() -> None:
    videos = [f"v{i % 3}" for i in range(60)]  # 3 videos: the per-video limit binds
    peak, per_video = concurrency(await run_tasks(RenderClipConfig(), videos))
    assert peak == 4
    assert max(per_video.values()) == 2


async def test_one_video_never_runs_more_than_its_limit_even_with_free_slots() -> None:
    peak, per_video = concurrency(await run_tasks(RenderClipConfig(max_parallelism=6), ["v"] * 10))
    assert peak == 2 and per_video == {"v": 2}


async def test_slots_are_small_numbers_reused() -> None:
    log = await run_tasks(RenderClipConfig(max_parallelism=3), [f"v{i}" for i in range(9)])
    assert {slot for _, _, slot in log} == {0, 1, 2}


async def test_a_raised_limit_applies_to_the_next_start() -> None:
    config = {"now": RenderClipConfig(max_parallelism=1)}
    started: list[int] = []
    gate = asyncio.Event()

    async def work(item: int, slot: int) -> None:
        started.append(item)
        await gate.wait()

    scheduler = ClipScheduler(limits=lambda: config["now"], run=work)
    for i in range(4):
        scheduler.submit(f"v{i}", i, lambda: None)
    await asyncio.sleep(0.01)
    assert started == [0]
    config["now"] = RenderClipConfig(max_parallelism=3)
    scheduler.pump()
    await asyncio.sleep(0.01)
    assert started == [0, 1, 2]
    gate.set()
    await scheduler.idle()


async def test_dropped_owners_do_not_start() -> None:
    started: list[int] = []
    gate = asyncio.Event()

    async def work(item: int, slot: int) -> None:
        started.append(item)
        await gate.wait()

    scheduler = ClipScheduler(limits=lambda: RenderClipConfig(max_parallelism=1), run=work)
    for i in range(3):
        scheduler.submit("v", i, lambda: None, owner="p0" if i < 2 else "p1")
    assert scheduler.drop({"p0"}) == 1  # the first already runs
    gate.set()
    await scheduler.idle()
    assert started == [0, 2]


async def test_a_second_delivery_of_a_held_task_is_acked_with_the_first_not_run() -> None:
    started: list[int] = []
    done: list[str] = []
    gate = asyncio.Event()

    async def work(item: int, slot: int) -> None:
        started.append(item)
        await gate.wait()

    scheduler = ClipScheduler(limits=lambda: RenderClipConfig(max_parallelism=1), run=work)
    scheduler.submit("v", 7, lambda: done.append("first"))
    scheduler.submit("v", 8, lambda: done.append("other"))
    await asyncio.sleep(0)
    assert scheduler.attach(lambda item: item == 7, lambda: done.append("again"))  # running
    assert scheduler.attach(lambda item: item == 8, lambda: done.append("again8"))  # queued
    assert not scheduler.attach(lambda item: item == 9, lambda: done.append("never"))
    assert done == []  # not before the first delivery is done
    gate.set()
    await scheduler.idle()
    assert started == [7, 8]
    assert done == ["first", "again", "other", "again8"]


async def test_a_second_delivery_rides_on_a_first_that_is_cut_short() -> None:
    done: list[str] = []

    async def work(item: int, slot: int) -> None:
        await asyncio.Event().wait()  # never ends on its own

    scheduler = ClipScheduler(limits=lambda: RenderClipConfig(max_parallelism=1), run=work)
    scheduler.submit("v", 1, lambda: done.append("first"))
    await asyncio.sleep(0)
    assert scheduler.attach(lambda item: item == 1, lambda: done.append("again"))
    assert await scheduler.stop(0.01) == 1
    assert done == []  # neither acked: the next owner gets the task again
