"""Which sources the assembler renders transition pieces from, and when it starts them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.assembler import Assembler
from agents.assembly_state import JobAssembly
from agents.clip_job import ClipDone, PieceSource, RenderDone
from domain.clip_stats import JobClipState, TaskState, TaskStatus
from events.payloads import RenderRequested
from tests.support.guards import FAKE_SOURCES
from tests.support.sample_requests import crossfade_request

JOB = "job-p"
PLACEHOLDER = "/fallback/placeholder.mp4"


def state(req: RenderRequested, tasks: dict[int, tuple[TaskStatus, str | None]]) -> JobAssembly:
    rows = {
        f"t{i}": TaskState(
            task_id=f"t{i}",
            render_job_id=JOB,
            segment_index=i,
            status=status,
            source_type=kind,
            clip_path=f"/clips/{i}.mp4" if status.terminal else None,
        )
        for i, (status, kind) in tasks.items()
    }
    return JobAssembly(
        render_job_id=JOB,
        clips=JobClipState(JOB, rows),
        request=req.model_dump(mode="json"),
        task_ids=("t0", "t1", "t2"),
    )


class Calls:
    def __init__(self) -> None:
        self.pieces: list[tuple[int, PieceSource, PieceSource]] = []

    async def execute(self, fn: Any, *args: Any) -> Any:
        name = fn.__name__
        if name == "render_piece":
            self.pieces.append((args[1], args[2], args[3]))
            return args[4]
        if name == "render_placeholder":
            return ClipDone(args[2], 1, 1)
        if name == "mux_render":  # the assembler renames what the mux wrote
            Path(args[4]).parent.mkdir(parents=True, exist_ok=True)
            Path(args[4]).write_bytes(b"mp4")
            return RenderDone(args[4], 1, 72)
        return "music.m4a"


def assembler(calls: Calls, tmp: Path) -> Assembler:
    async def emit(*_: Any) -> None:
        return None

    return Assembler(
        table={},
        emit=emit,
        execute=calls.execute,
        artifacts=tmp,
        placeholder=lambda: PLACEHOLDER,
        guard=FAKE_SOURCES,
    )


async def test_pieces_start_with_their_clips_and_follow_fallbacks(tmp_path: Path) -> None:
    req = crossfade_request(JOB, remote=True)
    calls = Calls()
    asm = assembler(calls, tmp_path)
    running = TaskStatus.RUNNING
    # Segments 0 and 1 are rendering from their remotes, 2 is still queued: only the piece
    # between 0 and 1 can start, from the remotes.
    asm._start_ready_work(state(req, {0: (running, "remote"), 1: (running, "remote")}))
    for task in asm._pieces[JOB].values():
        await task.task
    assert [(b, o.path, i.path) for b, o, i in calls.pieces] == [
        (0, "https://cdn/a.png", "https://cdn/b.png")
    ]
    # Then segment 1 falls back to its local copy and 2 ends as the placeholder: the join
    # renders piece 0 again from what the clips show, and piece 1 from local + placeholder.
    done = state(
        req,
        {
            0: (TaskStatus.SUCCESS, "remote"),
            1: (TaskStatus.FALLBACK_LOCAL, "local"),
            2: (TaskStatus.FALLBACK_PLACEHOLDER, "placeholder"),
        },
    )
    calls.pieces.clear()
    await asm._join(done, req)
    sides = {b: (o.path, i.path, i.source is None) for b, o, i in calls.pieces}
    assert sides == {
        0: ("https://cdn/a.png", "/m/b.png", False),
        1: ("/m/b.png", PLACEHOLDER, True),
    }
