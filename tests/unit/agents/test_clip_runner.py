"""The fallback chain and retries of one clip task, with a fake pool (no media work)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from agents.clip_job import ClipDone, render_placeholder, render_segment
from agents.clip_runner import ClipRunner
from agents.config_state import DEFAULT, LiveConfig
from agents.pool import PoolChildDied, PoolClosed
from agents.source_guard import SourceGuard
from domain.clip_stats import JobClipState, clip_stats, fold_clip_events
from engine.errors import EngineError
from events.base import make_event
from events.payloads import (
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderClipConfig,
)
from events.payloads.common import MediaSource, OutputSettings
from tests.support.guards import FAKE_SOURCES
from tests.support.sample_requests import sample_segment

OUT = OutputSettings(width=320, height=180, fps=12)


def queued(remote: str | None, local: str | None) -> Any:
    source = MediaSource(
        asset_id="vid",
        media_type="video",
        checksum="c",
        remote_url=remote,
        local_path=local,
        duration_ms=5000,
        width=640,
        height=360,
    )
    task = ClipTaskQueued(
        task_id="t1",
        render_job_id="job",
        video_id="vid",
        segment_index=3,
        total_segments=4,
        segment=sample_segment(3, "vid"),
        source=source,
        output=OUT,
    )
    return make_event(task, trace_id="trace-r")


async def run(
    outcomes: dict[str, list[Any]],
    remote: str | None = "https://cdn/v.mp4",
    local: str | None = "/media/v.mp4",
    guard: SourceGuard = FAKE_SOURCES,
    **config: Any,
) -> tuple[list[Any], list[float]]:
    """outcomes: per source path (or 'placeholder'), what each try does: 'ok' or an error."""
    sent: list[Any] = []
    slept: list[float] = []

    async def emit(cause: Any, payloads: list[Any]) -> list[Any]:
        made = [
            make_event(p, trace_id=cause.trace_id, causation_id=cause.event_id) for p in payloads
        ]
        sent.extend(made)
        return made

    async def execute(fn: Any, *args: Any) -> ClipDone:
        key = args[2] if fn is render_segment else "placeholder"
        assert fn in (render_segment, render_placeholder)
        what = outcomes[key].pop(0)
        if isinstance(what, BaseException):
            raise what
        return ClipDone(path=f"/tmp/clip-{key}", frames=12, duration_ms=5)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    runner = ClipRunner(
        worker_id="w1",
        emit=emit,
        execute=execute,
        config=lambda: LiveConfig(7, RenderClipConfig(**config)),
        tmp_root=Path("/tmp/rt"),
        guard=guard,
        placeholder="/artifacts/placeholder/clip_placeholder.mp4",
        sleep=sleep,
        rnd=random.Random(1),
    )
    await runner.run(queued(remote, local), slot=2)
    return sent, slept


def detail(p: Any) -> str:
    if isinstance(p, ClipTaskFellBack):
        return f"{p.from_source.value}>{p.to_source.value}:{p.reason.value}"
    if isinstance(p, ClipTaskStarted | ClipTaskSucceeded):
        return str(p.source_type.value)
    return str(p.reason.value)


def shape(events: list[Any]) -> list[str]:
    """Each event as Type(attempt,detail), the way one reads a task's history."""
    return [
        f"{e.type.removeprefix('ClipTask')}({e.payload.attempt},{detail(e.payload)})"
        for e in events
    ]


async def test_a_healthy_remote_source_is_used_directly() -> None:
    events, _ = await run({"https://cdn/v.mp4": ["ok"]})
    assert shape(events) == ["Started(0,remote)", "Succeeded(0,remote)"]
    assert events[0].payload.slot == 2 and events[0].payload.worker_id == "w1"
    assert {e.trace_id for e in events} == {"trace-r"}


async def test_cdn_errors_are_retried_with_exponential_backoff_then_fall_back_to_local() -> None:
    cdn = EngineError("cdn_error", "HTTP 500 from the CDN")
    events, slept = await run({"https://cdn/v.mp4": [cdn, cdn, cdn], "/media/v.mp4": ["ok"]})
    assert shape(events) == [
        "Started(0,remote)",
        "Retrying(0,cdn_error)",
        "Started(1,remote)",
        "Retrying(1,cdn_error)",
        "Started(2,remote)",
        "FellBack(2,remote>local:cdn_error)",
        "Started(3,local)",
        "Succeeded(3,local)",
    ]
    backoffs = [e.payload.backoff_ms for e in events if e.type == "ClipTaskRetrying"]
    assert 500 <= backoffs[0] <= 750 and 1000 <= backoffs[1] <= 1250  # base * 2^n + jitter
    assert slept == [b / 1000 for b in backoffs]


async def test_not_found_and_decode_errors_fall_back_at_once_down_to_the_placeholder() -> None:
    events, slept = await run(
        {
            "https://cdn/v.mp4": [EngineError("not_found", "HTTP 404")],
            "/media/v.mp4": [EngineError("decode_error", "truncated file")],
            "placeholder": ["ok"],
        }
    )
    assert shape(events) == [
        "Started(0,remote)",
        "FellBack(0,remote>local:not_found)",
        "Started(1,local)",
        "FellBack(1,local>placeholder:decode_error)",
        "Started(2,placeholder)",
        "Succeeded(2,placeholder)",
    ]
    assert slept == []
    stats = clip_stats(fold_clip_events(JobClipState(render_job_id="job"), events))
    assert (stats.total_clips, stats.placeholder_tasks, stats.failed_tasks) == (1, 1, 1)
    assert stats.fallback_reason_counts == {"decode_error": 1, "not_found": 1}


async def test_a_task_without_sources_gets_the_placeholder_with_reason_no_candidates() -> None:
    events, _ = await run({"placeholder": ["ok"]}, remote=None, local=None)
    assert shape(events) == [
        "FellBack(0,local>placeholder:no_candidates)",
        "Started(0,placeholder)",
        "Succeeded(0,placeholder)",
    ]


async def test_when_even_the_placeholder_fails_the_task_fails_and_says_why() -> None:
    events, _ = await run(
        {"placeholder": [OSError("disk full")]}, remote=None, local=None, max_retry=0
    )
    assert shape(events)[-1] == "Failed(0,no_candidates)"
    assert events[-1].payload.error == "placeholder failed too: disk full"


async def test_a_task_of_a_cancelled_render_does_no_work_and_says_so() -> None:
    sent: list[Any] = []

    async def emit(cause: Any, payloads: list[Any]) -> None:
        sent.extend(make_event(p, trace_id=cause.trace_id) for p in payloads)

    async def execute(fn: Any, *args: Any) -> ClipDone:
        raise AssertionError("a cancelled task must not render")

    runner = ClipRunner(
        worker_id="w1",
        emit=emit,
        execute=execute,
        config=lambda: DEFAULT,
        tmp_root=Path("/tmp/rt"),
        guard=FAKE_SOURCES,
        placeholder="/artifacts/placeholder/clip_placeholder.mp4",
        is_cancelled=lambda job: job == "job",
    )
    await runner.run(queued("https://cdn/v.mp4", None), slot=0)
    assert shape(sent) == ["Failed(0,cancelled)"]
    assert sent[0].payload.error == "the render was cancelled"


async def test_a_dead_pool_process_is_a_retryable_worker_crash() -> None:
    crash = PoolChildDied("a pool process died")
    events, slept = await run({"https://cdn/v.mp4": [crash, "ok"]})
    assert shape(events) == [
        "Started(0,remote)",
        "Retrying(0,worker_crash)",
        "Started(1,remote)",
        "Succeeded(1,remote)",
    ]
    assert len(slept) == 1


@pytest.mark.parametrize("remote", ["https://cdn/v.mp4", None])  # a source's try, the placeholder
async def test_a_closing_pool_ends_the_task_without_any_outcome(remote: str | None) -> None:
    sent: list[Any] = []

    async def emit(cause: Any, payloads: list[Any]) -> None:
        sent.extend(payloads)

    async def execute(fn: Any, *args: Any) -> ClipDone:
        raise PoolClosed("the worker is stopping")

    runner = ClipRunner(
        worker_id="w1",
        emit=emit,
        execute=execute,
        config=lambda: DEFAULT,
        tmp_root=Path("/tmp/rt"),
        guard=FAKE_SOURCES,
        placeholder="/artifacts/placeholder/clip_placeholder.mp4",
    )
    with pytest.raises(PoolClosed):
        await runner.run(queued(remote, None), slot=0)
    assert all(isinstance(p, ClipTaskStarted | ClipTaskFellBack) for p in sent), sent


async def test_a_refused_remote_and_a_local_copy_outside_the_roots_end_on_the_placeholder(
    tmp_path: Path,
) -> None:
    """The user sees the placeholder and, in the clip events, why each source was not used;
    nothing is fetched or read (execute only ever runs the placeholder)."""
    guard = SourceGuard(roots=(tmp_path,))
    events, slept = await run(
        {"placeholder": ["ok"]},
        remote="http://169.254.169.254/latest/meta-data/",
        local="/etc/passwd",
        guard=guard,
    )
    assert shape(events) == [
        "Started(0,remote)",
        "FellBack(0,remote>local:source_refused)",
        "Started(1,local)",
        "FellBack(1,local>placeholder:path_outside_root)",
        "Started(2,placeholder)",
        "Succeeded(2,placeholder)",
    ]
    assert "loopback, link-local or private" in events[1].payload.error
    assert "'passwd' is outside the media and artifacts folders" in events[3].payload.error
    assert slept == []  # a refusal is not retried


async def test_every_attempt_says_the_config_version_it_ran_under() -> None:
    events, _ = await run({"https://cdn/v.mp4": [TimeoutError("slow")], "/media/v.mp4": ["ok"]})
    starts = [e.payload for e in events if isinstance(e.payload, ClipTaskStarted)]
    assert [(p.attempt, p.config_version) for p in starts] == [(0, 7), (1, 7)]


async def test_an_attempt_causes_what_follows_it_and_the_task_causes_its_attempts() -> None:
    crash = PoolChildDied("a pool process died")
    events, _ = await run(
        {"https://cdn/v.mp4": [crash, TimeoutError("slow")], "/media/v.mp4": ["ok"]}
    )
    assert shape(events)[:4] == [
        "Started(0,remote)",
        "Retrying(0,worker_crash)",
        "Started(1,remote)",
        "FellBack(1,remote>local:internal)",
    ]
    starts = [e for e in events if isinstance(e.payload, ClipTaskStarted)]
    assert len({s.causation_id for s in starts}) == 1  # the queued task
    caused_by = {type(e.payload).__name__: e.causation_id for e in events if e not in starts}
    assert caused_by == {
        "ClipTaskRetrying": starts[0].event_id,
        "ClipTaskFellBack": starts[1].event_id,
        "ClipTaskSucceeded": starts[2].event_id,
    }
