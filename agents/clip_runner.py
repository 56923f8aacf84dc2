"""Running one clip task: remote (with retries) → local copy → placeholder, with an event for
every step, so a render always gets a clip for every segment.

A full disk is the exception: the local copy and the placeholder would not fit either, so
the task fails at once with reason disk_full (one ClipTaskFailed, no fallbacks) and the
assembler fails the render with the same reason instead of a timeline of placeholders."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog

from agents.clip_job import ClipDone, render_placeholder, render_segment
from agents.config_state import LiveConfig
from agents.metrics import (
    RENDER_CLIP_DURATION_MS,
    RENDER_CLIP_FAILURES,
    RENDER_CLIP_INFLIGHT,
    RENDER_CLIP_PLACEHOLDER,
)
from agents.pool import PoolChildDied, PoolClosed
from agents.recent_ids import RecentIds
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia, file_sha256, local_copy, proxy_file, required
from domain.confinement import PathOutsideRoot
from domain.remote_sources import SourceRefused
from engine.errors import EngineError, is_disk_full
from engine.proxy import PROXY_VERSION
from events.base import Envelope, Payload
from events.payloads import (
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderClipConfig,
)
from events.payloads.common import (
    FailureReason,
    MediaSource,
    ObjectRef,
    OutputSettings,
    ProxyRef,
    SourceType,
)
from storage.keys import clip_key
from storage.object_store import ObjectMissing, StorageError, StorageUnavailable

log = structlog.get_logger("render_worker")

# Sends events caused by an event; returns the envelopes it sent, if it says.
Emit = Callable[[Envelope[Any], list[Payload]], Awaitable[list[Envelope[Any]] | None]]
Execute = Callable[..., Awaitable[ClipDone]]
# Worth another try on the same source; anything else moves to the next source at once.
RETRYABLE = frozenset({FailureReason.TIMEOUT, FailureReason.CDN_ERROR, FailureReason.WORKER_CRASH})
_REASONS = {r.value: r for r in FailureReason}
# Where a source is read from: a URL or path, or an object in the store.
Where = str | ObjectRef


def failure_reason(exc: BaseException) -> FailureReason:
    """Map an engine error to the reason the events carry."""
    if is_disk_full(exc):
        return FailureReason.DISK_FULL
    if isinstance(exc, PathOutsideRoot):
        return FailureReason.PATH_OUTSIDE_ROOT
    if isinstance(exc, SourceRefused):
        return FailureReason.SOURCE_REFUSED
    if isinstance(exc, EngineError):
        return _REASONS.get(exc.reason, FailureReason.DECODE_ERROR)
    if isinstance(exc, PoolChildDied):
        return FailureReason.WORKER_CRASH
    if isinstance(exc, StorageUnavailable):
        return FailureReason.CDN_ERROR  # the store did not answer: worth another try
    if isinstance(exc, ObjectMissing):
        return FailureReason.NOT_FOUND
    if isinstance(exc, StorageError):
        return FailureReason.DECODE_ERROR  # not the bytes the event names: damaged
    return FailureReason.INTERNAL


def fitting_proxy(source: MediaSource, output: OutputSettings) -> ProxyRef | None:
    """The source's upload-time proxy made for this output size by today's recipe, if any."""
    size = (output.width, output.height)
    fits = (p for p in source.proxies if (p.width, p.height) == size and p.recipe == PROXY_VERSION)
    return next(fits, None)


def backoff_ms(config: RenderClipConfig, retry: int, rnd: random.Random) -> int:
    """retry_backoff_base_ms * 2^retry, plus up to half the base of jitter."""
    base = config.retry_backoff_base_ms
    return base * 2**retry + rnd.randint(0, base // 2)


def clip_path(tmp_root: Path, render_job_id: str, segment_index: int) -> Path:
    """Where a job's intermediate clip lives until the job ends."""
    return tmp_root / f"job_{render_job_id}" / f"clip_{segment_index:04d}.mp4"


@dataclass
class ClipRunner:
    """Runs clip tasks with the live config; `execute` runs a function in the process pool."""

    worker_id: str
    emit: Emit
    execute: Execute
    # The live config and its version (agents.config_state): each attempt says which it ran under.
    config: Callable[[], LiveConfig]
    tmp_root: Path
    # Every source is vetted here first: a refused one fails over like a bad source.
    guard: SourceGuard
    # The placeholder clip's fixed place (engine.placeholder.placeholder_path).
    placeholder: str
    timeouts_s: tuple[float, float] = (10.0, 15.0)
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    is_cancelled: Callable[[str], bool] = lambda _job: False
    # The service's store: stored sources are read through it; without a shared disk every
    # clip is kept in it, so whichever worker joins the render can read it.
    media: StoredMedia | None = None
    rnd: random.Random = field(default_factory=random.Random)
    outcomes: RecentIds = field(default_factory=RecentIds)  # tasks whose outcome is out

    async def run(self, env: Envelope[Any], slot: int) -> None:
        """Run one task to a clip (or, failing everything, to ClipTaskFailed)."""
        gauge = RENDER_CLIP_INFLIGHT.labels(worker=self.worker_id)
        gauge.inc()
        try:
            await _Attempts(self, env, slot).run()
        finally:
            gauge.dec()
        self.outcomes.remember(env.payload.task_id)  # reached only once an outcome is out


class _Attempts:
    """The state of one task's attempts: counter, clock and the events so far."""

    def __init__(self, runner: ClipRunner, env: Envelope[Any], slot: int) -> None:
        self.r = runner
        self.env = env
        self.task: ClipTaskQueued = env.payload
        # What an attempt leads to (a retry, a fallback, the clip) names that attempt's
        # ClipTaskStarted as its cause; the attempts themselves name the queued task.
        self.cause: Envelope[Any] = env
        self.slot = slot
        self.attempt = 0
        # One config for the whole task, read once: all its attempts run under this version.
        self.live = runner.config()
        self.began = time.monotonic()
        self.out = clip_path(runner.tmp_root, self.task.render_job_id, self.task.segment_index)
        self.ids = dict(
            task_id=self.task.task_id,
            render_job_id=self.task.render_job_id,
            video_id=self.task.video_id,
            segment_index=self.task.segment_index,
        )
        self.log = log.bind(trace_id=env.trace_id, worker=runner.worker_id, **self.ids)

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.began) * 1000)

    async def emit(self, *payloads: Payload) -> None:
        await self.r.emit(self.cause, list(payloads))

    def chain(self) -> list[tuple[SourceType, Where]]:
        src = self.task.source
        local = local_copy(self.r.media, src.stored, src.local_path)
        found = [(SourceType.REMOTE, src.remote_url), (SourceType.LOCAL, local)]
        return [(kind, where) for kind, where in found if where]

    @contextlib.asynccontextmanager
    async def readable(self, kind: SourceType, where: Where) -> AsyncIterator[str]:
        """The source as render_segment reads it: a vetted path or URL, or the stored object
        as a file here (kept from the cache's eviction until the clip is cut)."""
        if isinstance(where, ObjectRef):
            async with required(self.r.media).local(where) as path:
                yield path
        else:
            yield await self.r.guard.source(where, remote=kind is SourceType.REMOTE)

    @contextlib.asynccontextmanager
    async def proxy(self) -> AsyncIterator[str | None]:
        """The source's upload-time proxy for this output as a file here, if it has one (a
        proxy that cannot be fetched is passed over: proxies make clips cheaper, never fail
        them)."""
        ref = fitting_proxy(self.task.source, self.task.output)
        async with contextlib.AsyncExitStack() as held:
            yield await proxy_file(self.r.media, held, ref, self.env.trace_id)

    async def kept(self, done: ClipDone) -> ClipDone:
        """The clip kept in the store when the workers share no disk (else as it is)."""
        media = self.r.media
        if media is None or media.shared_disk:
            return done
        sha = await asyncio.to_thread(file_sha256, Path(done.path))
        key = clip_key(self.task.render_job_id, self.task.segment_index, sha)
        stored = await media.put(key, Path(done.path), "video/mp4")
        Path(done.path).unlink(missing_ok=True)  # the store holds it now; the join fetches it
        return replace(done, stored=stored)

    async def cancelled(self) -> bool:
        """End the task without work if its render was cancelled; remove any clip it made."""
        if not self.r.is_cancelled(self.task.render_job_id):
            return False
        self.out.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.out.parent.rmdir()  # the job's folder goes with its last clip
        await self.emit(
            ClipTaskFailed(
                **self.ids,
                attempt=max(self.attempt - 1, 0),
                reason=FailureReason.CANCELLED,
                duration_ms=self.elapsed_ms(),
                error="the render was cancelled",
            )
        )
        self.log.info("render_worker.clip_task_cancelled")
        return True

    async def run(self) -> None:
        if await self.cancelled():
            return
        config = self.live.config
        chain = self.chain()
        reason, error = FailureReason.NO_CANDIDATES, "no remote or local source"
        for k, (kind, where) in enumerate(chain):
            done, reason, error = await self.try_source(kind, where, config)
            # A cancellation seen mid-task ends it here, its clip (if any) removed.
            if await self.cancelled():
                return
            if done is not None:
                await self.succeeded(kind, done)
                return
            if reason is FailureReason.DISK_FULL:
                await self.failed(reason, error)
                return
            to = chain[k + 1][0] if k + 1 < len(chain) else SourceType.PLACEHOLDER
            await self.emit(
                ClipTaskFellBack(
                    **self.ids,
                    attempt=self.attempt - 1,
                    from_source=kind,
                    to_source=to,
                    reason=reason,
                    error=error,
                )
            )
        if not chain:
            await self.emit(
                ClipTaskFellBack(
                    **self.ids,
                    attempt=0,
                    from_source=SourceType.LOCAL,
                    to_source=SourceType.PLACEHOLDER,
                    reason=reason,
                    error=error,
                )
            )
        await self.placeholder(reason)

    async def try_source(
        self, kind: SourceType, where: Where, config: RenderClipConfig
    ) -> tuple[ClipDone | None, FailureReason, str]:
        reason, error = FailureReason.INTERNAL, ""
        for retry in range(config.max_retry + 1):
            await self.start(kind)
            try:
                async with self.readable(kind, where) as vetted, self.proxy() as proxy:
                    done = await self.r.execute(
                        render_segment,
                        self.task.segment,
                        self.task.source,
                        vetted,
                        str(self.out),
                        self.task.output,
                        self.task.output.quality,
                        self.r.timeouts_s,
                        proxy,
                    )
                return await self.kept(done), reason, error
            except PoolClosed:
                raise  # the worker stops: no outcome; the task runs again on the next owner
            except Exception as exc:  # every failure becomes an event, never a lost task
                reason, error = failure_reason(exc), str(exc)
                RENDER_CLIP_FAILURES.labels(reason=reason.value).inc()
                self.log.warning(
                    "clip_source.retrieve_exception",
                    source_type=kind.value,
                    attempt=self.attempt - 1,
                    reason=reason.value,
                    error=error,
                )
            if reason not in RETRYABLE or retry == config.max_retry:
                break
            wait = backoff_ms(config, retry, self.r.rnd)
            await self.emit(
                ClipTaskRetrying(
                    **self.ids,
                    attempt=self.attempt - 1,
                    source_type=kind,
                    reason=reason,
                    backoff_ms=wait,
                    error=error,
                )
            )
            await self.r.sleep(wait / 1000)
            if self.r.is_cancelled(self.task.render_job_id):
                break
        return None, reason, error

    async def start(self, kind: SourceType) -> None:
        sent = await self.r.emit(
            self.env,
            [
                ClipTaskStarted(
                    **self.ids,
                    attempt=self.attempt,
                    worker_id=self.r.worker_id,
                    slot=self.slot,
                    source_type=kind,
                    config_version=self.live.version,
                )
            ],
        )
        self.cause = sent[-1] if sent else self.env
        self.attempt += 1

    async def succeeded(self, kind: SourceType, done: ClipDone) -> None:
        duration = self.elapsed_ms()
        RENDER_CLIP_DURATION_MS.observe(duration)
        await self.emit(
            ClipTaskSucceeded(
                **self.ids,
                attempt=self.attempt - 1,
                source_type=kind,
                duration_ms=duration,
                # On a shared disk the path; else the stored clip, no path of this machine.
                clip_path=None if done.stored else done.path,
                clip=done.stored,
                worker_id=self.r.worker_id,
            )
        )
        self.log.info(
            "render_worker.clip_task_completed",
            source_type=kind.value,
            duration_ms=duration,
            attempts=self.attempt,
            slot=self.slot,
            from_proxy=done.from_proxy,
        )

    async def failed(self, reason: FailureReason, error: str) -> None:
        """End the task without a clip."""
        await self.emit(
            ClipTaskFailed(
                **self.ids,
                attempt=self.attempt - 1,
                reason=reason,
                duration_ms=self.elapsed_ms(),
                error=error,
            )
        )
        self.log.error("render_worker.clip_task_failed", reason=reason.value, error=error)

    async def placeholder(self, reason: FailureReason) -> None:
        await self.start(SourceType.PLACEHOLDER)
        try:
            done = await self.r.execute(
                render_placeholder,
                self.task.segment,
                self.r.placeholder,
                str(self.out),
                self.task.output,
                self.task.output.quality,
            )
            done = await self.kept(done)
        except PoolClosed:
            raise
        except Exception as exc:
            why = failure_reason(exc)
            full = why is FailureReason.DISK_FULL
            await self.failed(
                why if full else FailureReason.NO_CANDIDATES, f"placeholder failed too: {exc}"
            )
            return
        RENDER_CLIP_PLACEHOLDER.inc()
        self.log.warning(
            "render_worker.placeholder_inserted", reason=reason.value, clip_path=done.path
        )
        await self.succeeded(SourceType.PLACEHOLDER, done)
