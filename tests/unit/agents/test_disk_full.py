"""A full disk ends the render with reason disk_full and a sentence saying what to do, instead of
a timeline of placeholders that would not fit on the disk either."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import av
import pytest

from agents.assembly_upkeep import Upkeep
from agents.clip_runner import failure_reason
from agents.disk_full import disk_full_sentence
from agents.planning import task_id
from engine.errors import EngineError, is_disk_full
from engine.sources import map_error
from events.payloads import ClipTaskFailed, ClipTaskStarted, RenderFailed
from events.payloads.common import FailureReason, SourceType
from tests.unit.agents.test_assembly_liveness import (
    SEGMENTS,
    Log,
    Pool,
    assembler,
    at,
    clip,
    feed,
    planned,
    settle,
)
from tests.unit.agents.test_clip_runner import run, shape

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_recognised_through_the_engine_and_the_pool() -> None:
    av_error = av.error.OSError(errno.ENOSPC, "No space left on device", "/a/clip.mp4")
    mapped = map_error(av_error, "v.mp4", remote=True)
    assert mapped.reason == "disk_full" and "no space left" in mapped.message
    assert failure_reason(mapped) is FailureReason.DISK_FULL
    assert failure_reason(ENOSPC) is FailureReason.DISK_FULL
    assert not is_disk_full(OSError("disk full"))  # no errno: not known to be the disk


@pytest.mark.parametrize("error", [EngineError("disk_full", "v.mp4: no space left"), ENOSPC])
async def test_a_clip_that_meets_a_full_disk_fails_at_once_without_fallbacks(error: Any) -> None:
    events, slept = await run({"https://cdn/v.mp4": [error]})
    # One outcome, no retry, no local copy, no placeholder: none of them would fit.
    assert shape(events) == ["Started(0,remote)", "Failed(0,disk_full)"]
    assert slept == []


async def test_a_placeholder_that_meets_a_full_disk_says_disk_full() -> None:
    events, _ = await run({"placeholder": [ENOSPC]}, remote=None, local=None)
    assert shape(events)[-1] == "Failed(0,disk_full)"


def failed_clip(job: str, index: int) -> list[Any]:
    ids = dict(task_id=task_id(job, index), render_job_id=job, video_id="a", segment_index=index)
    started = ClipTaskStarted(
        **ids, attempt=0, worker_id="w", slot=0, source_type=SourceType.LOCAL, config_version=0
    )
    failed = ClipTaskFailed(
        **ids, attempt=0, reason=FailureReason.DISK_FULL, duration_ms=5, error="no space left"
    )
    return [at(started, 1.0), at(failed, 1.0)]


async def test_a_render_whose_clip_met_a_full_disk_fails_disk_full_without_placeholders(
    tmp_path: Path,
) -> None:
    log, pool, table = Log(), Pool(), {}  # type: ignore[var-annotated]
    asm = assembler(tmp_path, table, log, pool)
    tmp = tmp_path / "render_tmp"
    events = planned("job-d") + clip("job-d", 0, tmp) + failed_clip("job-d", 1)
    events += clip("job-d", 2, tmp)
    await feed(asm, events)
    [(_, outcome)] = log.outcomes
    assert isinstance(outcome, RenderFailed) and outcome.error_code == "disk_full"
    assert outcome.error.startswith("the artifacts disk is full (")
    assert "free space" in outcome.error and "render again" in outcome.error
    assert pool.muxed == []  # no join, so no placeholder for the missing clip
    assert table == {} and not (tmp / "job_job-d").exists()


async def test_a_join_that_meets_a_full_disk_fails_disk_full(tmp_path: Path) -> None:
    log, table = Log(), {}  # type: ignore[var-annotated]

    class FullPool(Pool):
        async def execute(self, fn: Any, *args: Any) -> Any:
            if fn.__name__ == "mux_render":
                raise av.error.OSError(errno.ENOSPC, "No space left on device", args[4])
            return await super().execute(fn, *args)

    asm = assembler(tmp_path, table, log, FullPool())
    tmp = tmp_path / "render_tmp"
    await feed(asm, planned("job-e") + [e for i in range(SEGMENTS) for e in clip("job-e", i, tmp)])
    await settle(Upkeep(asm))
    [(_, outcome)] = log.outcomes
    assert isinstance(outcome, RenderFailed) and outcome.error_code == "disk_full"


def test_the_disk_full_sentence_says_how_full_and_what_to_do() -> None:
    sentence = disk_full_sentence(512 * 1024, 64 * 1024 * 1024, Path("/srv/artifacts"))
    assert sentence == (
        "the artifacts disk is full (512 KiB free of 64.0 MiB) at /srv/artifacts; free space "
        "(beatstitch gc removes old renders and temporary files) or raise the volume, then "
        "render again"
    )
