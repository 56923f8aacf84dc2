"""The analysis agent: BeatAnalysisRequested → beat grid file → BeatAnalysisCompleted."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from agents.metrics import RENDER_CLIP_FAILURES
from agents.outbox import Outbox
from agents.pool import PoolChildDied, PoolClosed
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia, local_copy, required
from domain.confinement import PathOutsideRoot
from engine.errors import EngineError
from events.base import Envelope, make_event
from events.codec import DecodeError, decode
from events.payloads import BeatAnalysisCompleted, BeatAnalysisRequested
from events.payloads.common import FailureReason, ObjectRef
from storage.keys import beat_grid_key
from storage.object_store import StorageError

log = structlog.get_logger("render_worker")

Execute = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class GridDone:
    """A beat grid written to disk, with the figures the completion event carries."""

    bpm: float | None
    bpm_confidence: float
    beat_count: int
    path: str
    grid_checksum: str
    audio_checksum: str


def analyze_track(audio_path: str, grids_dir: str) -> GridDone:
    """Analyse a track in a pool process; the grid lands in (or is reused from) grids_dir."""
    # Imported here, not at the top: librosa and numba cost the worker's event-loop process
    # a second and much memory, and only pool processes ever analyse.
    from engine.audio_samples import AudioDecodeError
    from engine.beats import analyze, grid_cache_path

    grids = Path(grids_dir)
    try:
        grid = analyze(Path(audio_path), cache_dir=grids)
    except AudioDecodeError as exc:
        # The typed engine error pickles back intact and needs no librosa to recognise.
        raise EngineError("decode_error", str(exc)) from None
    path = grid_cache_path(grids, grid.audio_file_checksum)
    return GridDone(
        bpm=grid.bpm,
        bpm_confidence=grid.bpm_confidence,
        beat_count=len(grid.beats),
        path=str(path),
        grid_checksum=hashlib.sha256(path.read_bytes()).hexdigest(),
        audio_checksum=grid.audio_file_checksum,
    )


# Times an analysis is tried again after its pool process died under it.
CRASH_RETRIES = 2


def failure_message(exc: BaseException, audio_path: str) -> str:
    """One sentence a user can read about why the analysis of audio_path failed."""
    name = Path(audio_path).name  # never the server's directory layout
    if isinstance(exc, PathOutsideRoot | StorageError):
        return f"{exc}."
    if isinstance(exc, FileNotFoundError):
        return f"the audio file {name!r} could not be found."
    if isinstance(exc, IsADirectoryError | NotADirectoryError):
        return f"{name!r} is not an audio file."
    if isinstance(exc, EngineError):  # its message is written for users already
        return exc.message if exc.message.endswith(".") else f"{exc.message}."
    if isinstance(exc, PoolChildDied):
        return f"the beat analysis of {name!r} crashed the analysing process every time it ran."
    if isinstance(exc, OSError):
        return f"the audio file {name!r} could not be read ({exc.strerror or exc})."
    return f"the beat analysis of {name!r} failed unexpectedly ({type(exc).__name__})."


@dataclass
class Analyzer:
    """Runs beat analyses in the process pool and reports each outcome as an event."""

    worker_id: str
    outbox: Outbox
    execute: Execute
    grids_dir: Path
    # The audio path of a request is read only inside the media or artifacts root.
    guard: SourceGuard
    # The service's store: a stored track is read through it and every grid kept in it.
    media: StoredMedia | None = None

    async def handle(self, message: Any) -> None:
        """Analyse one requested track; any failure becomes a failed completion, never a crash."""
        try:
            env = decode(message.value)
        except DecodeError as exc:
            await self.outbox.dead_letter(message, exc.reason, consumer="analyzer")
            return
        if not isinstance(env.payload, BeatAnalysisRequested):
            return  # our own completions share the topic
        await self.analyze(env)

    async def analyze(self, env: Envelope[Any]) -> None:
        """Analyse the track of one request and send its BeatAnalysisCompleted."""
        req: BeatAnalysisRequested = env.payload
        bound = log.bind(
            trace_id=env.trace_id, worker=self.worker_id, audio_track_id=req.audio_track_id
        )
        began = time.monotonic()
        name = req.audio_path or (req.stored.key if req.stored else "")
        try:
            async with self._track(req) as audio_path:
                done = await self._run_in_pool(audio_path, bound)
            grid = await self._keep_grid(req, done)
        except PoolClosed:
            raise  # the worker stops: no outcome; the request runs again on the next owner
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the agent lives on
            error = failure_message(exc, name)
            if not isinstance(exc, EngineError | OSError | PathOutsideRoot | StorageError):
                bound.exception("render_worker.beat_analysis_crashed", error=error)
            result = self._completed(req, status="failed", error=error)
        else:
            if done.audio_checksum != req.checksum:
                # The grid is keyed by the bytes analysed; a different upload checksum means
                # the file changed after upload (or the API hashes differently).
                bound.warning(
                    "render_worker.beat_analysis_checksum_mismatch",
                    requested=req.checksum,
                    analysed=done.audio_checksum,
                )
            result = self._completed(
                req,
                status="completed",
                bpm=done.bpm,
                bpm_confidence=done.bpm_confidence,
                beat_count=done.beat_count,
                # A path only where the workers and the API share this disk.
                beat_grid_path=done.path if self._shared_disk else None,
                beat_grid_checksum=done.grid_checksum,
                beat_grid=grid,
            )
        event = make_event(result, trace_id=env.trace_id, causation_id=env.event_id)
        # Analysis payloads name no render job, so make_event leaves the correlation empty;
        # keep the request's so the upload's events stay one conversation.
        await self.outbox.send([event.model_copy(update={"correlation_id": env.correlation_id})])
        level = bound.info if result.status == "completed" else bound.warning
        level(
            "render_worker.beat_analysis_completed",
            status=result.status,
            bpm=result.bpm,
            beat_count=result.beat_count,
            error=result.error or None,
            seconds=round(time.monotonic() - began, 3),
        )

    @property
    def _shared_disk(self) -> bool:
        return self.media is None or self.media.shared_disk

    @contextlib.asynccontextmanager
    async def _track(self, req: BeatAnalysisRequested) -> AsyncIterator[str]:
        """The track as a file here: its stored object through the cache, or its path."""
        where = local_copy(self.media, req.stored, req.audio_path)
        if isinstance(where, ObjectRef):
            async with required(self.media).local(where) as path:
                yield path
        else:
            yield self.guard.local(where or "")

    async def _keep_grid(self, req: BeatAnalysisRequested, done: GridDone) -> ObjectRef | None:
        """The grid in the store, where the API reads it from any machine (on a shared disk
        its path is enough)."""
        if self._shared_disk or self.media is None:
            return None
        key = beat_grid_key(req.audio_track_id)
        kept = await self.media.put(key, Path(done.path), "application/json")
        Path(done.path).unlink(missing_ok=True)  # the store holds it now
        return kept

    async def _run_in_pool(self, audio_path: str, bound: Any) -> GridDone:
        # A pool process that died (killed, out of memory, a crash in a decoder) is not the
        # track's fault: the pool is rebuilt and the analysis tried again, a few times.
        for attempt in range(1, CRASH_RETRIES + 2):
            try:
                done: GridDone = await self.execute(analyze_track, audio_path, str(self.grids_dir))
                return done
            except PoolChildDied as exc:
                RENDER_CLIP_FAILURES.labels(reason=FailureReason.WORKER_CRASH.value).inc()
                bound.warning(
                    "render_worker.beat_analysis_retrying",
                    reason=FailureReason.WORKER_CRASH.value,
                    attempt=attempt,
                    error=str(exc),
                )
                if attempt > CRASH_RETRIES:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _completed(req: BeatAnalysisRequested, **fields: Any) -> BeatAnalysisCompleted:
        return BeatAnalysisCompleted(
            audio_track_id=req.audio_track_id, project_id=req.project_id, **fields
        )
