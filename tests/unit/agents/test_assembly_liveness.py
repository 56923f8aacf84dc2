"""Every render the assembler holds ends, once: a join resumed after a crash, a deadline for a
render that stops moving, and a table that keeps live renders only."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.assembler import Assembler
from agents.assembly_state import Deadline, JobAssembly, outcome_event_id, unfinished
from agents.assembly_upkeep import Upkeep
from agents.clip_job import ClipDone, RenderDone
from agents.planning import plan_request, task_id
from agents.stored_media import StoredMedia
from domain.clip_stats import JobClipState
from events.base import Envelope, Payload, make_event
from events.payloads import (
    ClipTaskQueued,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderCompleted,
    RenderFailed,
    RenderStarted,
)
from events.payloads.common import SourceType
from storage.cache import ObjectCache
from storage.filesystem import FilesystemStore
from storage.keys import clip_key
from tests.support.guards import FAKE_SOURCES
from tests.support.sample_requests import crossfade_request

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SEGMENTS = 3  # crossfade_request cuts three stills


def at(payload: Payload, seconds: float = 0.0) -> Envelope[Any]:
    return make_event(payload, trace_id="trace", occurred_at=T0 + timedelta(seconds=seconds))


def task_ids(job: str) -> list[str]:
    return [task_id(job, i) for i in range(SEGMENTS)]


def planned(job: str) -> list[Envelope[Any]]:
    """RenderRequested and RenderStarted of a render."""
    ids = task_ids(job)
    return [
        at(crossfade_request(job)),
        at(RenderStarted(render_job_id=job, total_tasks=len(ids), task_ids=ids)),
    ]


def clip(job: str, index: int, clips: Path, seconds: float = 1.0) -> list[Envelope[Any]]:
    """A task's start and its clip (a file under the render's render_tmp folder)."""
    ids = dict(task_id=task_id(job, index), render_job_id=job, video_id="a", segment_index=index)
    path = clips / f"job_{job}" / f"clip_{index}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"clip")
    started = ClipTaskStarted(
        **ids, attempt=0, worker_id="w", slot=0, source_type=SourceType.LOCAL, config_version=0
    )
    done = ClipTaskSucceeded(
        **ids, attempt=0, source_type=SourceType.LOCAL, duration_ms=10, clip_path=str(path)
    )
    return [at(started, seconds), at(done, seconds)]


@dataclass
class Pool:
    """The process pool's work, done at once; mux writes its output where it is told."""

    muxed: list[str] = field(default_factory=list)
    mux_fails: bool = False

    async def execute(self, fn: Any, *args: Any) -> Any:
        name = fn.__name__
        if name == "render_piece":
            return args[4]
        if name == "render_placeholder":
            return ClipDone(args[2], 1, 1)
        if name == "mux_render":
            if self.mux_fails:
                raise RuntimeError("mux exploded")
            self.muxed.append(args[4])
            Path(args[4]).parent.mkdir(parents=True, exist_ok=True)
            Path(args[4]).write_bytes(b"mp4")
            return RenderDone(args[4], 3, 72)
        return "music.m4a"


@dataclass
class Log:
    """What the assembler emitted: (event id, payload), outcomes only."""

    outcomes: list[tuple[str | None, Payload]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # task ids of ClipTaskQueued sent
    down: bool = False

    async def emit(self, state: Any, payloads: list[Payload], event_id: str | None = None) -> None:
        if self.down and any(isinstance(p, RenderCompleted | RenderFailed) for p in payloads):
            raise ConnectionError("broker unreachable")
        for p in payloads:
            if isinstance(p, RenderCompleted | RenderFailed):
                self.outcomes.append((event_id, p))
            if isinstance(p, ClipTaskQueued):
                self.queued.append(p.task_id)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def assembler(
    tmp: Path, table: dict[str, Any], log: Log, pool: Pool | None = None, clock: Clock | None = None
) -> Assembler:
    return Assembler(
        table=table,
        emit=log.emit,
        execute=(pool or Pool()).execute,
        artifacts=tmp,
        placeholder=lambda: "/fallback/placeholder.mp4",
        guard=FAKE_SOURCES,
        deadline=Deadline(base_s=60.0, per_timeline_s=10.0),
        clock=clock or Clock(),
    )


async def feed(asm: Assembler, events: list[Envelope[Any]]) -> None:
    for env in events:
        await asm.handle(env, partition=0)


async def settle(upkeep: Upkeep, partitions: set[int] | None = None) -> None:
    await asyncio.gather(*upkeep.tick(partitions))


async def test_a_join_killed_midway_is_finished_by_the_next_owner_once(tmp_path: Path) -> None:
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    first = assembler(tmp_path, table, Log(), Pool(mux_fails=False))
    # The first owner folds every clip, saves ASSEMBLING and starts joining; it dies during
    # the join (the task is cancelled mid-mux, as a SIGKILL would leave it).
    killed = Pool()
    hang = asyncio.Event()

    async def never_ends(fn: Any, *args: Any) -> Any:
        if fn.__name__ == "mux_render":
            await hang.wait()
        return await killed.execute(fn, *args)

    first.execute = never_ends
    events = planned("job-a") + [e for i in range(SEGMENTS) for e in clip("job-a", i, tmp)]
    join = asyncio.create_task(feed(first, events))
    while table.get("job-a", {}).get("status") != "assembling":
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    join.cancel()
    with pytest.raises(asyncio.CancelledError):
        await join
    assert table["job-a"]["status"] == "assembling"
    assert (tmp / "job_job-a" / "clip_0.mp4").exists()  # the clips are still there

    # The next owner recovers the table (the same entries) and its upkeep joins again.
    log, pool = Log(), Pool()
    second = assembler(tmp_path, dict(table), log, pool)
    upkeep = Upkeep(second)
    await settle(upkeep, {1})  # not its partition: nothing happens
    assert log.outcomes == []
    await settle(upkeep, {0})
    [(event_id, outcome)] = log.outcomes
    assert isinstance(outcome, RenderCompleted)
    assert event_id == outcome_event_id("job-a")
    assert outcome.output == str(tmp_path / "renders" / "job-a.mp4")
    assert (tmp_path / "renders" / "job-a.mp4").read_bytes() == b"mp4"
    assert pool.muxed and all("render_tmp" in p for p in pool.muxed)  # written aside, renamed
    assert not (tmp / "job_job-a").exists()
    # Once: a later tick, or a redelivered clip outcome, ends nothing again.
    await settle(upkeep, {0})
    await feed(second, clip("job-a", 2, tmp))
    await settle(upkeep, {0})
    assert len(log.outcomes) == 1 and second.table == {}


async def test_the_clips_stay_until_the_outcome_is_produced(tmp_path: Path) -> None:
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log = Log(down=True)
    asm = assembler(tmp_path, table, log)
    events = planned("job-b") + [e for i in range(SEGMENTS) for e in clip("job-b", i, tmp)]
    with pytest.raises(ConnectionError):
        await feed(asm, events)
    # The outcome never left: the entry and the clips wait for the next join.
    assert table["job-b"]["status"] == "assembling"
    assert (tmp / "job_job-b" / "clip_1.mp4").exists()
    log.down = False
    await settle(Upkeep(asm))
    [(event_id, outcome)] = log.outcomes
    assert isinstance(outcome, RenderCompleted) and event_id == outcome_event_id("job-b")
    assert table == {} and not (tmp / "job_job-b").exists()


async def test_a_render_that_stops_moving_fails_at_its_deadline(tmp_path: Path) -> None:
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log, clock = Log(), Clock()
    asm = assembler(tmp_path, table, log, clock=clock)
    upkeep = Upkeep(asm)
    # Segment 0 finishes; 1 and 2 never do.
    await feed(asm, planned("job-c") + clip("job-c", 0, tmp))
    # 3 s of timeline: 60 s + 10 x 3 s = 90 s after the request's event time.
    clock.now = T0 + timedelta(seconds=89)
    await settle(upkeep)
    assert log.outcomes == []
    clock.now = T0 + timedelta(seconds=91)
    await settle(upkeep)
    [(event_id, failed)] = log.outcomes
    assert isinstance(failed, RenderFailed) and failed.error_code == "deadline"
    assert event_id == outcome_event_id("job-c")
    assert "90 s" in failed.error
    assert "2 of 3 clip tasks never finished: segments 1, 2" in failed.error
    assert table == {} and not (tmp / "job_job-c").exists()
    # The late outcomes change nothing: no join, no second terminal event.
    await feed(asm, clip("job-c", 1, tmp, 95) + clip("job-c", 2, tmp, 96))
    await settle(upkeep)
    assert len(log.outcomes) == 1


async def test_a_late_outcome_after_a_restart_past_the_deadline_assembles_nothing(
    tmp_path: Path,
) -> None:
    # The deadline survives a restart: it counts from the request's event time, in the table.
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    clock = Clock()
    await feed(assembler(tmp_path, table, Log(), clock=clock), planned("job-d"))
    await feed(assembler(tmp_path, table, Log(), clock=clock), clip("job-d", 0, tmp))
    log = Log()
    clock.now = T0 + timedelta(seconds=120)
    restarted = assembler(tmp_path, table, log, clock=clock)
    await feed(restarted, clip("job-d", 1, tmp) + clip("job-d", 2, tmp))  # all in, too late
    assert log.outcomes == []
    await settle(Upkeep(restarted))
    [(_, failed)] = log.outcomes
    assert isinstance(failed, RenderFailed) and failed.error_code == "deadline"


def test_the_default_deadline_grows_with_the_timeline() -> None:
    deadline = Deadline()
    assert deadline.allowed_s(0) == 600.0
    assert deadline.allowed_s(65_000) == 600.0 + 20.0 * 65
    assert Deadline(fixed_s=30.0).allowed_s(65_000) == 30.0


async def test_the_table_holds_no_ended_render(tmp_path: Path) -> None:
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log, clock = Log(), Clock()
    asm = assembler(tmp_path, table, log, clock=clock)
    renders = [f"job-{n}" for n in range(20)]
    for job in renders:
        await feed(asm, planned(job) + [e for i in range(SEGMENTS) for e in clip(job, i, tmp)])
    assert len(log.outcomes) == len(renders)
    assert table == {}
    # Each outcome comes back on render.jobs: it recreates nothing.
    for _, outcome in log.outcomes:
        await feed(asm, [at(outcome)])
    assert table == {}


async def test_a_late_event_after_a_restart_leaves_an_entry_that_expires(tmp_path: Path) -> None:
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log, clock = Log(), Clock()
    # A restarted worker (it remembers no ended render) gets a redelivered clip outcome of a
    # render whose entry is gone: a small entry without a request, which never assembles...
    asm = assembler(tmp_path, table, log, clock=clock)
    await feed(asm, clip("job-e", 0, tmp))
    assert set(table) == {"job-e"} and table["job-e"]["request"] is None
    upkeep = Upkeep(asm)
    clock.now = T0 + timedelta(seconds=100)
    await settle(upkeep)
    assert set(table) == {"job-e"}
    # ...and goes once twice the base deadline has passed since its first event.
    clock.now = T0 + timedelta(seconds=122)
    await settle(upkeep)
    assert table == {} and log.outcomes == []


async def test_a_render_failed_elsewhere_or_cancelled_leaves_no_entry(tmp_path: Path) -> None:
    from events.payloads import RenderCancelled

    table: dict[str, Any] = {}
    asm = assembler(tmp_path, table, Log())
    await feed(asm, planned("job-f"))
    await feed(asm, [at(RenderFailed(render_job_id="job-f", error="bad EDL", error_code="edl"))])
    await feed(asm, planned("job-g"))
    await feed(asm, [at(RenderCancelled(render_job_id="job-g", requested_by="u"))])
    assert table == {}


def test_the_deadline_sentence_names_the_first_segments_and_counts_the_rest() -> None:
    ids = tuple(f"t{i}" for i in range(8))
    state = JobAssembly(render_job_id="j", clips=JobClipState("j"), task_ids=ids)
    assert (
        unfinished(state) == "8 of 8 clip tasks never finished: segments 0, 1, 2, 3, 4 and 3 more"
    )
    assert unfinished(JobAssembly("j", JobClipState("j"))) == "its clip tasks were never planned"


async def test_a_request_stamped_long_ago_gets_its_whole_deadline(tmp_path: Path) -> None:
    # A backlog after an outage, or a producer whose clock is behind: the deadline counts
    # from when the request was first read, if that is later than its event time.
    log, clock = Log(), Clock()
    clock.now = T0 + timedelta(days=7)
    asm = assembler(tmp_path, {}, log, clock=clock)
    await feed(asm, planned("job-h"))
    upkeep = Upkeep(asm)
    clock.now += timedelta(seconds=89)
    await settle(upkeep)
    assert log.outcomes == []
    clock.now += timedelta(seconds=2)
    await settle(upkeep)
    [(_, failed)] = log.outcomes
    assert isinstance(failed, RenderFailed) and failed.error_code == "deadline"


async def test_a_request_stamped_in_the_year_9999_still_fails_at_its_deadline(
    tmp_path: Path,
) -> None:
    # A producer whose clock is far ahead: its deadline once overflowed the calendar, which
    # raised in the upkeep every tick and in the handler of the render's last clip. It counts
    # from when the request was first read, so the render ends like any other.
    log, clock = Log(), Clock()
    asm = assembler(tmp_path, {}, log, clock=clock)
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    request, started = planned("job-far")
    await feed(asm, [request.model_copy(update={"occurred_at": far}), started])
    upkeep = Upkeep(asm)
    clock.now = T0 + timedelta(seconds=89)
    await settle(upkeep)
    assert log.outcomes == []
    clock.now = T0 + timedelta(seconds=91)
    await settle(upkeep)
    [(_, failed)] = log.outcomes
    assert isinstance(failed, RenderFailed) and failed.error_code == "deadline"


async def test_a_late_event_stamped_in_the_year_9999_leaves_the_upkeep_working(
    tmp_path: Path,
) -> None:
    table: dict[str, Any] = {}
    log, clock = Log(), Clock()
    asm = assembler(tmp_path, table, log, clock=clock)
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    [_, done] = clip("job-gone", 0, tmp_path / "render_tmp")
    await feed(asm, [done.model_copy(update={"occurred_at": far})])
    assert "job-gone" in table  # an entry without a request, which waits for nothing
    clock.now = T0 + timedelta(days=3650)
    await settle(Upkeep(asm))  # raised OverflowError before
    assert log.outcomes == []


async def test_an_entry_missing_outcomes_that_are_in_the_log_reads_them_again(
    tmp_path: Path,
) -> None:
    # The table lost clip 2's outcome (a predecessor committed its offset, its table write
    # never reached this worker's recovery); the log has it.
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log, clock = Log(), Clock()
    asm = assembler(tmp_path, table, log, clock=clock)
    in_log = (
        planned("job-r") + clip("job-r", 0, tmp) + clip("job-r", 1, tmp) + clip("job-r", 2, tmp)
    )
    await feed(asm, in_log[:-2])
    reads: list[str] = []

    async def reread(state: JobAssembly) -> list[Envelope[Any]]:
        reads.append(state.render_job_id)
        return in_log

    upkeep = Upkeep(asm, reread=reread)
    clock.now = T0 + timedelta(seconds=10)  # not stalled yet: nothing read
    await settle(upkeep)
    assert reads == [] and log.outcomes == []
    clock.now = T0 + timedelta(seconds=30)
    await settle(upkeep)
    [(_, completed)] = log.outcomes
    assert isinstance(completed, RenderCompleted) and reads == ["job-r"]
    await settle(upkeep)  # ended: nothing read again, nothing joined twice
    assert reads == ["job-r"] and len(log.outcomes) == 1


async def test_a_render_short_of_a_task_message_queues_its_unfinished_tasks_again(
    tmp_path: Path,
) -> None:
    """A task whose message was lost on the way (an offset committed past it in a rebalance):
    the log has no outcome to read again, so once the render has stood still long enough its
    unfinished tasks are queued again, once per wait, and the render then completes."""
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log, clock = Log(), Clock()
    asm = assembler(tmp_path, table, log, clock=clock)
    request = crossfade_request("job-q")
    tasks = [t.task_id for t in plan_request(request).tasks]
    started = RenderStarted(render_job_id="job-q", total_tasks=len(tasks), task_ids=tasks)

    def outcome(index: int) -> list[Envelope[Any]]:
        return [
            e.model_copy(update={"payload": e.payload.model_copy(update={"task_id": tasks[index]})})
            for e in clip("job-q", index, tmp)
        ]

    in_log = [at(request), at(started), *outcome(0), *outcome(1)]
    await feed(asm, in_log)

    async def reread(state: JobAssembly) -> list[Envelope[Any]]:
        return in_log  # nothing the table lacks

    upkeep = Upkeep(
        asm,
        reread=reread,
        stalled_after=timedelta(seconds=10),
        requeue_after=timedelta(seconds=25),
    )
    clock.now = T0 + timedelta(seconds=15)  # stalled: read again, too soon to queue again
    await settle(upkeep)
    assert log.queued == []
    clock.now = T0 + timedelta(seconds=30)
    await settle(upkeep)
    assert log.queued == [tasks[2]]  # only the task without an outcome
    clock.now = T0 + timedelta(seconds=45)  # read again, but queued 15 s ago: not again yet
    await settle(upkeep)
    assert log.queued == [tasks[2]]
    await feed(asm, outcome(2))
    [(_, completed)] = log.outcomes
    assert isinstance(completed, RenderCompleted)


async def test_a_render_started_naming_other_tasks_than_the_plan_is_ignored(
    tmp_path: Path,
) -> None:
    """A RenderStarted from a producer that is not ours, naming no tasks, does not make the
    assembler join the render at once (with placeholders only): planning is deterministic,
    so only the planner's own RenderStarted counts, and the render completes with its clips."""
    table: dict[str, Any] = {}
    tmp = tmp_path / "render_tmp"
    log = Log()
    asm = assembler(tmp_path, table, log)
    request, started = planned("job-f")
    forged = RenderStarted(render_job_id="job-f", total_tasks=0, task_ids=[])
    await feed(asm, [request, at(forged)])
    assert log.outcomes == []
    await feed(asm, [started, *[e for i in range(SEGMENTS) for e in clip("job-f", i, tmp)]])
    [(_, completed)] = log.outcomes
    assert isinstance(completed, RenderCompleted)
    assert completed.clip_stats.placeholder_tasks == 0


async def test_a_clip_stored_after_its_render_ended_leaves_the_store(tmp_path: Path) -> None:
    # Workers without a shared disk keep clips in the store, and the join removes them once
    # the render has ended. A task run twice (redelivered after a rebalance) stores its
    # clip again afterwards: whoever sees that late outcome removes it, even after a restart.
    store = FilesystemStore(tmp_path / "store")
    media = StoredMedia(store, ObjectCache(tmp_path / "cache", 1 << 20))
    tmp = tmp_path / "render_tmp"
    log, clock = Log(), Clock()
    asm = replace(assembler(tmp_path, {}, log, clock=clock), media=media)
    await feed(asm, planned("job-g") + [e for i in range(SEGMENTS) for e in clip("job-g", i, tmp)])
    [(_, done)] = log.outcomes
    assert isinstance(done, RenderCompleted) and done.stored is not None

    async def stored_late(segment: int) -> Envelope[Any]:
        made = tmp_path / f"late_{segment}.mp4"
        made.write_bytes(b"the same clip, cut again")
        ref = await media.put(clip_key("job-g", segment, "ab" * 32), made, "video/mp4")
        ids = dict(task_id=task_id("job-g", segment), render_job_id="job-g", video_id="a")
        late = ClipTaskSucceeded(
            **ids,
            segment_index=segment,
            attempt=0,
            source_type=SourceType.LOCAL,
            duration_ms=9,
            clip=ref,
        )
        return at(late, 30)

    await feed(asm, [await stored_late(1)])
    assert list(store.list("clips/job-g/")) == []
    # A restarted worker remembers no ended render: the entry the late outcome makes
    # expires, and its clips go with it.
    restarted = replace(assembler(tmp_path, {}, log, clock=clock), media=media)
    await feed(restarted, [await stored_late(2)])
    assert [o.key for o in store.list("clips/job-g/")] == [clip_key("job-g", 2, "ab" * 32)]
    clock.now = T0 + timedelta(seconds=200)
    await settle(Upkeep(restarted))
    assert list(store.list("clips/job-g/")) == [] and restarted.table == {}
    # The render itself stays, and ended once.
    assert store.stat(done.stored.key) is not None and len(log.outcomes) == 1
