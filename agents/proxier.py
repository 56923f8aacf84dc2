"""The proxy agent: MediaProxyRequested → the upload's proxy in the store → MediaProxyCompleted.

A proxy is made once per upload, by a worker and not in the API's request: a video or still
pre-shaped for the project's output size (engine.proxy), or the song as AAC
(engine.music.make_music_proxy). Renders that fit it decode little; a render that does not
fit it, or comes before it, reads the original."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from agents.outbox import Outbox
from agents.pool import PoolClosed
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia, local_copy
from domain.confinement import PathOutsideRoot
from engine.errors import EngineError
from engine.proxy import PROXY_VERSION
from events.base import Envelope, make_event
from events.codec import DecodeError, decode
from events.payloads import MediaProxyCompleted, MediaProxyRequested
from events.payloads.common import ObjectRef, ProxyRef
from storage.keys import proxy_key
from storage.object_store import StorageError

log = structlog.get_logger("render_worker")

Execute = Callable[..., Awaitable[Any]]
EXTENSIONS = {"video": ".mp4", "image": ".jpg", "music": ".m4a"}


def make_upload_proxy(kind: str, source: str, out: str, size: tuple[int, int, int]) -> str:
    """Write one proxy in a pool process (the engine's imports stay out of the event loop)."""
    if kind == "music":
        from engine.music import make_music_proxy

        return str(make_music_proxy(Path(source), Path(out)))
    from engine.proxy import make_proxy
    from engine.render_settings import OutputSettings

    width, height, fps = size
    return str(
        make_proxy(Path(source), Path(out), OutputSettings(width=width, height=height, fps=fps))
    )


def variant_of(req: MediaProxyRequested) -> str:
    """The proxy's name among the asset's proxies: its output size, or "music"."""
    return "music" if req.kind == "music" else f"{req.width}x{req.height}"


@dataclass
class Proxier:
    """Makes upload-time proxies in the process pool and keeps them in the store."""

    worker_id: str
    outbox: Outbox
    execute: Execute
    guard: SourceGuard
    media: StoredMedia
    # Where a proxy is written before it goes into the store.
    work_dir: Path

    async def handle(self, message: Any) -> None:
        """Make one requested proxy; beat analyses on the same topic are the analyzer's."""
        try:
            env = decode(message.value)
        except DecodeError:
            return  # the analyzer reads the same messages and dead-letters what it cannot decode
        if isinstance(env.payload, MediaProxyRequested):
            await self.make(env)

    async def make(self, env: Envelope[Any]) -> None:
        """Make the proxy of one request and send its MediaProxyCompleted."""
        req: MediaProxyRequested = env.payload
        bound = log.bind(trace_id=env.trace_id, worker=self.worker_id, asset_id=req.asset_id)
        began = time.monotonic()
        variant = variant_of(req)
        out = self.work_dir / req.asset_id / f"{variant}{EXTENSIONS[req.kind]}"
        try:
            async with self._original(req) as source:
                size = (req.width or 0, req.height or 0, req.fps or 0)
                await self.execute(make_upload_proxy, req.kind, source, str(out), size)
            key = proxy_key(req.asset_id, variant, EXTENSIONS[req.kind])
            kept = await self.media.put(key, out)
        except PoolClosed:
            raise  # the worker stops: the request runs again on the next owner
        except Exception as exc:  # noqa: BLE001 - every failure is reported; renders use the original
            error = (
                str(exc)
                if isinstance(exc, EngineError | StorageError | PathOutsideRoot)
                else (f"the proxy failed unexpectedly ({type(exc).__name__})")
            )
            result = self._completed(req, status="failed", error=error)
        else:
            result = self._completed(req, status="completed", **self._refs(req, kept))
        finally:
            out.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                out.parent.rmdir()
        await self.outbox.send(
            [make_event(result, trace_id=env.trace_id, causation_id=env.event_id)]
        )
        (bound.info if result.status == "completed" else bound.warning)(
            "render_worker.proxy_made",
            kind=req.kind,
            status=result.status,
            error=result.error or None,
            seconds=round(time.monotonic() - began, 3),
        )

    @contextlib.asynccontextmanager
    async def _original(self, req: MediaProxyRequested) -> AsyncIterator[str]:
        """The upload as a file here: its stored object through the cache, or its path."""
        where = local_copy(self.media, req.stored, req.path)
        if isinstance(where, ObjectRef):
            async with self.media.local(where) as path:
                yield path
        else:
            yield self.guard.local(where or "")

    @staticmethod
    def _refs(req: MediaProxyRequested, kept: ObjectRef) -> dict[str, Any]:
        if req.kind == "music":
            return {"music": kept}
        proxy = ProxyRef(
            **kept.model_dump(), width=req.width, height=req.height, recipe=PROXY_VERSION
        )
        return {"proxy": proxy}

    @staticmethod
    def _completed(req: MediaProxyRequested, **fields: Any) -> MediaProxyCompleted:
        return MediaProxyCompleted(
            asset_id=req.asset_id,
            project_id=req.project_id,
            kind=req.kind,
            variant=variant_of(req),
            **fields,
        )
