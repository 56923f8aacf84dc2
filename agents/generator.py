"""The generator agent: VideoGenerationRequested → provider → probed clip → outcome event.

Started comes first, Progress as the provider reports it, then exactly one Completed or
Failed per run. Any failure, including a provider that raises something unexpected, becomes a
Failed with a sentence; the agent lives on. Keys never leave the provider's client."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from agents.generation_run import (
    FinishedClip,
    earlier_outcome,
    finish_clip,
    outcome_file,
    read_progress,
    run_provider,
)
from agents.metrics import RENDER_GENERATION_SECONDS, RENDER_GENERATIONS
from agents.outbox import Outbox
from agents.pool import PoolChildDied, PoolClosed
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia, local_copy, required
from domain.confinement import PathOutsideRoot
from engine.generation.provider import ProviderError, ProviderOutcome, VideoProvider
from engine.generation.spec import ClipSpec
from events.base import Envelope, Payload, make_event
from events.codec import DecodeError, decode
from events.payloads import (
    VideoGenerationCompleted,
    VideoGenerationFailed,
    VideoGenerationProgress,
    VideoGenerationRequested,
    VideoGenerationStarted,
)
from events.payloads.common import ObjectRef
from storage.keys import generated_key
from storage.object_store import ObjectMissing, StorageError

log = structlog.get_logger("render_worker")

Execute = Callable[..., Awaitable[Any]]
# A provider by name, or None when this worker has no such provider (or it is not set up).
Providers = Callable[[str], VideoProvider | None]
# How often the agent looks at the provider's progress, and the smallest step it reports.
PROGRESS_POLL_S = 0.5
PROGRESS_STEP = 0.05


@dataclass
class Generator:
    """Runs video generations and reports each as events on the generation's key."""

    worker_id: str
    outbox: Outbox
    # CPU work (the local provider, probing) in the process pool, crashes survived.
    execute: Execute
    providers: Providers
    # Generated clips live with the uploads, so a render reads them like any medium.
    generated_dir: Path
    guard: SourceGuard
    # The service's store: without a shared disk the clip and its thumbnail are kept there.
    media: StoredMedia | None = None

    async def handle(self, message: Any) -> None:
        """Generate one requested clip; anything else on the topic is someone else's."""
        try:
            env = decode(message.value)
        except DecodeError as exc:
            await self.outbox.dead_letter(message, exc.reason, consumer="generator")
            return
        if isinstance(env.payload, VideoGenerationRequested):
            await self.generate(env)

    async def generate(self, env: Envelope[Any]) -> None:
        """Run one request to its outcome event."""
        req: VideoGenerationRequested = env.payload
        bound = log.bind(
            trace_id=env.trace_id,
            worker=self.worker_id,
            generation_id=req.generation_id,
            provider=req.provider,
        )
        began = time.monotonic()
        out = self.generated_dir / req.project_id / f"{req.generation_id}.mp4"
        await self._send(
            env,
            VideoGenerationStarted(**_key(req), worker_id=self.worker_id, provider=req.provider),
        )
        kept: tuple[ObjectRef, ObjectRef] | None = None
        try:
            outcome, clip = await self._make(env, out)
            kept = await self._keep(req, out, clip)
        except PoolClosed:
            raise  # the worker stops: no outcome; the request runs again on the next owner
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the agent lives on
            code, error, attempts = failure_of(exc, req)
            if code == "internal":
                bound.exception("render_worker.generation_crashed", error=error)
            result: Payload = VideoGenerationFailed(
                **_key(req), provider=req.provider, error=error, error_code=code, attempts=attempts
            )
        else:
            result = completed(req, out, outcome, clip, kept)
        await self._send(env, result)
        if kept is not None:
            # The clip is in the store and its outcome in the log: a worker that shares no
            # disk keeps nothing of it (only a redelivery in the instant before the commit
            # would make the clip again).
            for done in (out, Path(clip.thumbnail_path), outcome_file(out)):
                done.unlink(missing_ok=True)
        outcome_name = "completed" if isinstance(result, VideoGenerationCompleted) else "failed"
        seconds = time.monotonic() - began
        RENDER_GENERATIONS.labels(provider=req.provider, outcome=outcome_name).inc()
        RENDER_GENERATION_SECONDS.labels(provider=req.provider).observe(seconds)
        level = bound.info if outcome_name == "completed" else bound.warning
        level(
            "render_worker.generation_ended",
            outcome=outcome_name,
            error=getattr(result, "error", None),
            seconds=round(seconds, 3),
        )

    async def _keep(
        self, req: VideoGenerationRequested, out: Path, clip: FinishedClip
    ) -> tuple[ObjectRef, ObjectRef] | None:
        """The clip and its thumbnail in the store, when the workers share no disk. The local
        files stay until the outcome is sent: a request delivered again before that finds
        them (and the provider's report) and does not ask the provider again."""
        if self.media is None or self.media.shared_disk:
            return None
        project, generation = req.project_id, req.generation_id
        video = await self.media.put(generated_key(project, generation, ".mp4"), out, "video/mp4")
        thumb_key = generated_key(project, generation, ".jpg")
        thumb = await self.media.put(thumb_key, Path(clip.thumbnail_path), "image/jpeg")
        return video, thumb

    async def _make(self, env: Envelope[Any], out: Path) -> tuple[ProviderOutcome, FinishedClip]:
        req: VideoGenerationRequested = env.payload
        provider = self.providers(req.provider)
        if provider is None:
            raise ProviderError(
                "not_configured", f"this service has no video provider called {req.provider!r}."
            )
        async with contextlib.AsyncExitStack() as held:
            picture = await self._picture(held, req)
            spec = req.spec.model_copy(update={"image": picture})
            out.parent.mkdir(parents=True, exist_ok=True)
            outcome = earlier_outcome(out)
            if outcome is None:
                outcome = await self._run(env, provider, spec, out)
            clip: FinishedClip = await self.execute(finish_clip, out, spec)
        return outcome, clip

    async def _picture(
        self, held: contextlib.AsyncExitStack, req: VideoGenerationRequested
    ) -> Path | None:
        """The image_move's picture as a file here: at its path on a shared disk (vetted), else
        fetched from the store through the cache and held until the generation ends."""
        path = None if req.spec.image is None else str(req.spec.image)
        where = local_copy(self.media, req.image_stored, path)
        if where is None:
            return None
        if isinstance(where, str):
            return Path(self.guard.local(where))
        try:
            return Path(await held.enter_async_context(required(self.media).local(where)))
        except ObjectMissing:
            raise FileNotFoundError(where.key) from None

    async def _run(
        self, env: Envelope[Any], provider: VideoProvider, spec: ClipSpec, out: Path
    ) -> ProviderOutcome:
        progress_file = out.with_suffix(".progress.json")
        progress_file.unlink(missing_ok=True)
        if provider.runs_on_cpu:
            work = self.execute(run_provider, provider, spec, out, progress_file)
        else:
            work = asyncio.to_thread(run_provider, provider, spec, out, progress_file)
        task = asyncio.ensure_future(work)
        reported = (-1.0, "")
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=PROGRESS_POLL_S)
                now = read_progress(progress_file)
                if now is not None and _worth_reporting(now, reported):
                    reported = now
                    await self._send(
                        env,
                        VideoGenerationProgress(
                            **_key(env.payload), progress=now[0], message=now[1]
                        ),
                    )
                if done:
                    result: ProviderOutcome = task.result()
                    return result
        finally:
            if not task.done():
                task.cancel()
            progress_file.unlink(missing_ok=True)

    async def _send(self, cause: Envelope[Any], payload: Payload) -> None:
        event = make_event(payload, trace_id=cause.trace_id, causation_id=cause.event_id)
        # Generation payloads name no render job: keep the request's correlation, so one
        # generation's events stay one conversation.
        await self.outbox.send([event.model_copy(update={"correlation_id": cause.correlation_id})])


def _key(req: VideoGenerationRequested) -> dict[str, str]:
    return {"generation_id": req.generation_id, "project_id": req.project_id}


def _worth_reporting(now: tuple[float, str], reported: tuple[float, str]) -> bool:
    return now[0] >= reported[0] + PROGRESS_STEP or (
        now[1] != reported[1] and now[0] >= reported[0]
    )


def completed(
    req: VideoGenerationRequested,
    out: Path,
    outcome: ProviderOutcome,
    clip: FinishedClip,
    kept: tuple[ObjectRef, ObjectRef] | None = None,
) -> VideoGenerationCompleted:
    """The completion event of a clip the provider wrote and the probe accepted: by path on a
    shared disk, else by its objects in the store (`kept`)."""
    return VideoGenerationCompleted(
        **_key(req),
        provider=req.provider,
        model=outcome.model[:100],
        task_id=outcome.task_id[:200],
        video_url=outcome.video_url
        if outcome.video_url.startswith(("http://", "https://"))
        else "",
        path=None if kept else str(out),
        thumbnail_path=None if kept else clip.thumbnail_path,
        stored=kept[0] if kept else None,
        thumbnail=kept[1] if kept else None,
        checksum=clip.checksum,
        size_bytes=clip.size_bytes,
        width=clip.width,
        height=clip.height,
        duration_ms=clip.duration_ms,
        fps=clip.fps,
        codec=clip.codec,
        attempts=max(1, outcome.attempts),
        metadata={k[:64]: str(v)[:500] for k, v in sorted(outcome.metadata.items())[:32]},
    )


def failure_of(exc: BaseException, req: VideoGenerationRequested) -> tuple[str, str, int]:
    """(code, sentence, attempts) of a generation that ended without a clip."""
    if isinstance(exc, ProviderError):
        message = exc.message if exc.message.endswith(".") else f"{exc.message}."
        return exc.code, message, exc.attempts
    if isinstance(exc, PathOutsideRoot):
        return "invalid_input", f"{exc}.", 0
    if isinstance(exc, FileNotFoundError):
        return "invalid_input", "the picture to animate could not be found.", 0
    if isinstance(exc, PoolChildDied):
        return "internal", "the generation crashed the process that ran it every time.", 1
    if isinstance(exc, StorageError):
        return "storage_unavailable", f"the store could not be reached: {exc}.", 1
    if isinstance(exc, OSError):
        return "internal", f"the clip could not be written ({exc.strerror or exc}).", 1
    return (
        "internal",
        f"the {req.provider} generation failed unexpectedly ({type(exc).__name__}).",
        1,
    )
