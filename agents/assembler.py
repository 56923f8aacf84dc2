"""The assembler: counts each render's clip outcomes; when all are in, joins the clips with
their transitions and the music, and reports progress and the result.

Transition pieces render from the sources, not from the clips (clip_job.render_piece), so
they need no clip to start. Each piece is started once both of its segments' clip tasks
have started (or ended), as engine.pieces.plan_pieces plans it: pieces then enter the
process pool right behind the clips they sit between, interleaved with them in the order
the clips run, rather than all at once ahead of every clip. A piece renders each side from
the source its clip task is using (TaskState.source_type: remote, local or the
placeholder); if a clip ends on another source (a fallback), or an early piece failed, the
join renders that piece again from what the clip actually shows.

Every render ends, once. The join is resumable: its state (ASSEMBLING, or every clip in) is
in the table, so whoever owns the partition after a crash or a rebalance joins again
(agents/assembly_upkeep.py). The join writes its MP4 under render_tmp and renames it into
renders/ (a killed join leaves no half file), and render_tmp, which holds the clips a second
join needs, is removed only after the outcome is produced. The outcome's event id is the
render's (outcome_event_id), so an outcome produced again after a crash is the same event.
Past its deadline a render fails ("deadline", by the upkeep); after that a late clip outcome
assembles nothing. An ended render's entry is deleted (a tombstone in the changelog), so the
table holds live renders only; a late event for an ended render makes a small entry without
a request, which never assembles and is dropped once Deadline.expires passes."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import shutil
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import structlog

from agents.assembly_media import JoinMedia, Side, discard_clips, local_of
from agents.assembly_state import (
    AssemblyStatus,
    Deadline,
    JobAssembly,
    deadline_of,
    fold_assembly,
    from_json,
    new_job,
    outcome_event_id,
    to_json,
)
from agents.clip_job import (
    RenderDone,
    encode_music,
    mux_render,
    render_piece,
    render_placeholder,
    transition_indices,
)
from agents.disk_full import clips_met_full_disk
from agents.join_failure import join_failure
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia
from domain.clip_stats import TaskStatus, clip_stats
from domain.confinement import PathOutsideRoot
from engine.pieces import Sides, plan_pieces
from engine.versions import engine_versions
from events.base import Envelope, Payload
from events.payloads import (
    ClipTaskFailed,
    ClipTaskSucceeded,
    RenderCompleted,
    RenderProgress,
    RenderRequested,
)
from events.payloads.common import ObjectRef, SourceType
from events.payloads.render import AudioSource, EngineVersions
from events.topics import Topic

log = structlog.get_logger("render_worker")


class Emit(Protocol):
    """Produces a render's events (`event_id` for a single payload with a fixed id)."""

    async def __call__(
        self, state: JobAssembly, payloads: list[Payload], event_id: str | None = None
    ) -> None: ...


Execute = Callable[..., Coroutine[Any, Any, Any]]
# Clips are the first 90 % of a render; assembly the rest.
CLIPS_SHARE = 90.0
# Renders this process has ended, remembered so that an event arriving while their entry goes
# away does not write it back (a crash forgets them; the tombstone is in the changelog by then).
ENDED_REMEMBERED = 10_000


@dataclass
class _Piece:
    """A piece started ahead of the join and what its two sides render from: each clip
    task's TaskState.source_type (equal names mean the same pixels)."""

    task: asyncio.Task[Any]
    kinds: Sides


@dataclass
class Assembler:
    """Folds events per render into a table; starts each transition piece once both of its
    clip tasks have started (see the module docstring), and joins everything when the last
    clip is in."""

    table: MutableMapping[str, Any]
    emit: Emit
    execute: Execute
    artifacts: Path
    placeholder: Callable[[], str]
    # Sources, the music and clip paths from events are read only once vetted here.
    guard: SourceGuard
    # Connect and read timeouts for remote sources, the same the clip tasks use.
    timeouts_s: tuple[float, float] = (10.0, 15.0)
    deadline: Deadline = field(default_factory=Deadline)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Deletes a render's entry given its partition (a Faust table cannot `del` outside the
    # agent's stream, where the timer runs); None: `del` on the table.
    discard: Callable[[str, int | None], None] | None = None
    # Named in RenderCompleted: the worker that joined the render.
    worker_id: str | None = None
    # The service's store: stored clips, sources and music are read through it and, without
    # a shared disk, the render is kept in it.
    media: StoredMedia | None = None
    # Work started ahead of the final join; in memory only, so after a restart the join
    # simply renders whatever is missing.
    _pieces: dict[str, dict[int, _Piece]] = field(default_factory=dict)
    _music: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    # Pieces replaced after a clip fell back; still awaited before the render's files go.
    _superseded: dict[str, list[asyncio.Task[Any]]] = field(default_factory=dict)
    # The parsed request and its transition boundaries, computed once per render rather
    # than on every clip event.
    _plans: dict[str, tuple[RenderRequested, list[int]]] = field(default_factory=dict)
    # Renders whose outcome this process is producing (joining or expiring), and those it ended.
    busy: set[str] = field(default_factory=set)
    ended: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def tmp_dir(self, job: str) -> Path:
        """The render's intermediate files."""
        return self.artifacts / "render_tmp" / f"job_{job}"

    def output_path(self, job: str) -> Path:
        """Where the render's MP4 goes on a shared disk."""
        return self.artifacts / "renders" / f"{job}.mp4"

    @property
    def files(self) -> JoinMedia:
        """Files for a join: vetted paths, or stored objects fetched through the cache."""
        return JoinMedia(self.guard, self.media)

    async def handle(self, env: Envelope[Any], partition: int | None = None) -> None:
        """Fold one event; report progress; start ready pieces; join when the last clip is in.

        `partition` is the event's: the render's entry is deleted on it after the render ends.
        """
        p = env.payload
        if p.topic not in (Topic.RENDER_JOBS, Topic.CLIP_EVENTS):
            return
        job = p.render_job_id
        if job in self.ended:
            if isinstance(p, ClipTaskSucceeded | ClipTaskFailed):
                # A clip that ended after its render did (its deadline, a cancel): no join.
                log.info(
                    "render_worker.outcome_after_render_ended",
                    trace_id=env.trace_id,
                    render_job_id=job,
                    task_id=p.task_id,
                )
            if isinstance(p, ClipTaskSucceeded) and p.clip is not None:
                # A task run twice (redelivered after a rebalance) can store its clip after
                # the join removed the render's clips: it would stay in the store for good.
                await discard_clips(self.media, job, env.trace_id)
            return
        stored = self.table.get(job)
        before = new_job(job) if stored is None else from_json(stored)
        after = fold_assembly(before, env)
        if after is before:
            return
        if after.partition is None:
            after = replace(after, partition=partition)
        if after.request is not None and after.request_seen_at is None:
            after = replace(after, request_seen_at=self.clock())
        if after.status is AssemblyStatus.DONE:
            if stored is not None and job not in self.busy:
                self.forget(after)
                if job in self._music:  # work started here for a render ended elsewhere
                    await self.drop(after)
            return
        self.table[job] = to_json(after)
        cancelled = AssemblyStatus.CANCELLED
        if after.status is cancelled and before.status is not cancelled:
            await self.drop(after)
            self.forget(after)
            return
        await self._report(before, after)
        if after.status is AssemblyStatus.OPEN:
            self._start_ready_work(after)
        if after.ready and job not in self.busy and not self.overdue(after):
            await self.assemble(after)

    async def _report(self, before: JobAssembly, after: JobAssembly) -> None:
        planned = after.task_ids or ()
        progressed = after.done_tasks > before.done_tasks
        if planned and progressed and after.status is AssemblyStatus.OPEN and not after.ready:
            done, total = after.done_tasks, len(planned)
            await self.emit(
                after,
                [
                    RenderProgress(
                        render_job_id=after.render_job_id,
                        status="running",
                        progress=round(CLIPS_SHARE * done / total, 2),
                        message=f"clips {done}/{total}",
                    )
                ],
            )

    def forget(self, state: JobAssembly) -> None:
        """Delete the render's entry (a tombstone) and remember that it ended."""
        job = state.render_job_id
        self.ended[job] = None
        while len(self.ended) > ENDED_REMEMBERED:
            self.ended.popitem(last=False)
        self._plans.pop(job, None)
        if self.discard is not None:
            self.discard(job, state.partition)
        else:
            self.table.pop(job, None)

    def overdue(self, state: JobAssembly) -> bool:
        """True once the render's deadline has passed (only the deadline ends it then)."""
        if state.request is None:
            return False
        req, _ = self.plan(state.render_job_id, state.request)
        due = deadline_of(state, req.edl.total_duration_ms, self.deadline)
        return due is not None and self.clock() > due

    def _clips(self, state: JobAssembly) -> dict[int, str | ObjectRef]:
        """Segment index → clip (a path, or its object in the store), for every task that has
        produced its clip. A clip path outside the roots (a forged outcome) counts as no
        clip: a placeholder."""
        found: dict[int, str | ObjectRef] = {}
        for task, t in state.clips.tasks.items():
            if not t.status.terminal or t.segment_index is None:
                continue
            stored = state.stored_clips.get(task)
            if stored is not None:
                found[t.segment_index] = ObjectRef.model_validate(stored)
            elif t.clip_path and self._inside(t.clip_path):
                found[t.segment_index] = t.clip_path
        return found

    def _inside(self, path: str) -> bool:
        try:
            self.guard.local(path)
        except PathOutsideRoot:
            return False
        return True

    def _kinds(self, state: JobAssembly) -> dict[int, SourceType]:
        """Segment index → the source kind its clip task is using or ended with.

        Only tasks that have started (a queued task has no source yet); a finished task
        without a clip gets the placeholder at the join.
        """
        kinds: dict[int, SourceType] = {}
        for task, t in state.clips.tasks.items():
            if t.segment_index is None or t.status is TaskStatus.PENDING:
                continue
            if t.status.terminal and not t.clip_path and task not in state.stored_clips:
                kinds[t.segment_index] = SourceType.PLACEHOLDER
            elif t.source_type:
                kinds[t.segment_index] = t.source_type
            elif t.status.terminal:
                # An outcome without a source type (a version 1 event): the task's first
                # source, which is what a clip without fallbacks rendered from.
                remote = self._has_remote(state, t)
                kinds[t.segment_index] = SourceType.REMOTE if remote else SourceType.LOCAL
        return kinds

    def _has_remote(self, state: JobAssembly, task: Any) -> bool:
        if state.request is None or task.segment_index is None:
            return False
        req, _ = self.plan(state.render_job_id, state.request)
        asset_id = req.edl.segments[task.segment_index].asset_id
        return any(m.asset_id == asset_id and m.remote_url for m in req.media)

    def plan(self, job: str, request: dict[str, Any]) -> tuple[RenderRequested, list[int]]:
        """The render's parsed request and its transition boundaries (parsed once)."""
        if job not in self._plans:
            req = RenderRequested.model_validate(request)
            self._plans[job] = (req, transition_indices(req.edl, req.output.fps))
        return self._plans[job]

    def _side(self, req: RenderRequested, index: int, kind: str) -> Side:
        """What segment `index` renders from as one side of a piece, for a source kind."""
        asset_id = req.edl.segments[index].asset_id
        source = next((m for m in req.media if m.asset_id == asset_id), None)
        where: str | ObjectRef | None = None
        if source is not None and kind == SourceType.REMOTE:
            where = source.remote_url
        elif source is not None and kind == SourceType.LOCAL:
            where = local_of(self.media, source)
        if source is None or where is None:
            return (None, self.placeholder())
        return (source, where)

    def _start_piece(self, state: JobAssembly, b: int, kinds: Sides, name: str) -> _Piece:
        req, _ = self.plan(state.render_job_id, state.request or {})
        work = self.tmp_dir(state.render_job_id) / "assembly"
        sides = (self._side(req, b, kinds[0]), self._side(req, b + 1, kinds[1]))
        out = str(work / f"{name}-{b:05d}.mp4")
        return _Piece(asyncio.create_task(self._piece(req, b, sides, out)), kinds)

    async def _piece(self, req: RenderRequested, b: int, sides: Any, out: str) -> str:
        """A piece rendered from vetted sides (a refused one fails it; the join redoes it)."""
        async with contextlib.AsyncExitStack() as stack:
            vetted = [await self.files.side(stack, side) for side in sides]
            piece: str = await self.execute(
                render_piece, req.edl, b, *vetted, out, req.output, req.kind, self.timeouts_s
            )
        return piece

    def _start_ready_work(
        self, state: JobAssembly, kinds: dict[int, SourceType] | None = None
    ) -> dict[int, Sides]:
        """Start the music and every piece whose two clip tasks have a source kind.

        Returns the started pieces whose kinds have changed since, with the new kinds:
        the join renders those again (not before, as a clip may fall back more than once).
        """
        if state.request is None or state.task_ids is None:
            return {}
        job = state.render_job_id
        req, boundaries = self.plan(job, state.request)
        work = self.tmp_dir(job) / "assembly"
        if job not in self._music:
            music = (req.audio, req.edl.total_duration_ms, str(work / "music.m4a"))
            self._music[job] = asyncio.create_task(self._encode_music(*music))
        kinds = self._kinds(state) if kinds is None else kinds
        started = self._pieces.setdefault(job, {})
        steps = plan_pieces(boundaries, kinds, {b: p.kinds for b, p in started.items()})
        for b, sides in steps.start.items():
            started[b] = self._start_piece(state, b, sides, "transition")
        return steps.restart

    async def _encode_music(self, audio: AudioSource, total_ms: int, out: str) -> str:
        """The music encoded for the mux, read only inside the roots or from the store."""
        async with contextlib.AsyncExitStack() as stack:
            path = await self.files.music(stack, audio)
            proxy = await self.files.music_proxy(stack, audio)
            music: str = await self.execute(encode_music, path, total_ms, out, proxy)
        return music

    async def drop(self, state: JobAssembly) -> None:
        """Forget a render's work, then remove its files once its work in the pool has ended."""
        job = state.render_job_id
        self._plans.pop(job, None)
        tasks = [p.task for p in self._pieces.pop(job, {}).values()]
        tasks += self._superseded.pop(job, [])
        if (music := self._music.pop(job, None)) is not None:
            tasks.append(music)
        # A pool process cannot be stopped mid-piece, and cancelling the task that awaits it
        # does not wait for it: removing the folder first let a late piece write into it
        # again. Queued pieces still run (a few: only those whose clips had started).
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:  # a worker stopping meanwhile still removes what is there
            shutil.rmtree(self.tmp_dir(job), ignore_errors=True)
        log.info("render_worker.render_tmp_removed", trace_id=state.trace_id, render_job_id=job)
        await discard_clips(self.media, job, state.trace_id)

    async def assemble(self, state: JobAssembly, *, resumed: bool = False) -> None:
        """Join the clips into the MP4, report the outcome, then remove the temporary files.

        `resumed`: a join started again by tick, outside the agent's stream, where the table
        cannot be written (the entry says ASSEMBLING or has every clip in already)."""
        job = state.render_job_id
        self.busy.add(job)
        try:
            await self._assemble(replace(state, status=AssemblyStatus.ASSEMBLING), resumed)
        finally:
            self.busy.discard(job)

    async def _assemble(self, state: JobAssembly, resumed: bool) -> None:
        job = state.render_job_id
        task_ids, request = state.task_ids, state.request
        assert task_ids is not None and request is not None  # ready() checked both
        if not resumed:
            self.table[job] = to_json(state)
        req, _ = self.plan(job, request)
        await self.emit(
            state,
            [
                RenderProgress(
                    render_job_id=job,
                    status="assembling",
                    progress=CLIPS_SHARE,
                    message=f"joining {len(task_ids)} clips with transitions and music",
                    # Who joins the clips, with what: the render job's provenance.
                    worker_id=self.worker_id,
                    engine=EngineVersions(**engine_versions()),
                )
            ],
        )
        bound = log.bind(trace_id=state.trace_id, render_job_id=job)
        bound.info("render_worker.assembly_started", resumed=resumed, clips=len(task_ids))
        try:
            if clips_met_full_disk(state.clips):
                # Joining would need placeholders for the missing clips on the same full disk.
                raise OSError(errno.ENOSPC, "a clip task found the disk full")
            done = await self._join(state, req)
        except Exception as exc:  # the render fails with a message; the worker goes on
            failed = join_failure(job, exc, self.artifacts)
            bound.error("render_worker.render_failed", error=str(exc), code=failed.error_code)
            outcome: Payload = failed
        else:
            stats = clip_stats(state.clips)
            bound.info("render_worker.clip_stats", **stats.model_dump(mode="json"))
            outcome = RenderCompleted(
                render_job_id=job,
                output=done.path or None,
                stored=done.stored,
                file_size=done.file_size,
                duration_ms=req.edl.total_duration_ms,
                clip_stats=stats,
            )
        await self.emit(state, [outcome], event_id=outcome_event_id(job))
        self.forget(state)
        # Only now: until the outcome is in the log, a crash leaves the clips (in render_tmp)
        # for whoever joins again.
        await self.drop(state)

    async def _join(self, state: JobAssembly, req: RenderRequested) -> RenderDone:
        """Placeholders for segments without a clip, the remaining pieces, then the mux."""
        work = self.tmp_dir(state.render_job_id) / "assembly"
        clips = self._clips(state)
        kinds = self._kinds(state)
        for seg in req.edl.segments:
            index = seg.index
            if index not in clips:
                stand_in: Any = await self.execute(
                    render_placeholder,
                    seg,
                    self.placeholder(),
                    str(work / f"placeholder_{index:04d}.mp4"),
                    req.output,
                    req.kind,
                )
                clips[index] = str(stand_in.path)
                kinds[index] = SourceType.PLACEHOLDER
        changed = self._start_ready_work(state, kinds)
        pieces = self._pieces.get(state.render_job_id, {})
        for b, actual in changed.items():
            # A clip fell back after its piece started: the piece shows what it shows.
            self._superseded.setdefault(state.render_job_id, []).append(pieces[b].task)
            pieces[b] = self._start_piece(state, b, actual, f"transition-{'-'.join(actual)}")
        began = time.perf_counter()
        paths: dict[int, str] = {}
        for b, piece in list(pieces.items()):
            try:
                paths[b] = await piece.task
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an early try may have met a passing remote failure
                log.warning("render_worker.piece_retry", boundary=b, error=str(exc))
                retry = self._start_piece(state, b, piece.kinds, "transition-retry")
                pieces[b] = retry
                paths[b] = await retry.task
        music = await self._music[state.render_job_id]
        waited = time.perf_counter() - began
        # Written beside the clips, then renamed into renders/ or uploaded: a join killed
        # midway leaves no half MP4 where downloads look, and a second join replaces it whole.
        # Named per join: two joins of one render (an old owner still finishing after a
        # rebalance, and the new one) must not write into one file.
        partial = work / f"output-{uuid.uuid4().hex[:12]}.mp4"
        async with contextlib.AsyncExitStack() as stack:
            ordered = [await self.files.file(stack, clips[seg.index]) for seg in req.edl.segments]
            muxed: RenderDone = await self.execute(
                mux_render, req.edl, ordered, paths, music, str(partial), req.output, req.kind
            )
        job = state.render_job_id
        path, stored = await self.files.keep(job, Path(muxed.path), self.output_path(job))
        done = replace(muxed, path=path or "", stored=stored)
        # Where a render's last second goes: pieces still running when the last clip came in,
        # then the mux.
        log.info(
            "render_worker.assembly_timings",
            trace_id=state.trace_id,
            render_job_id=state.render_job_id,
            pieces_wait_s=round(waited, 3),
            mux_s=round(time.perf_counter() - began - waited, 3),
        )
        return done
