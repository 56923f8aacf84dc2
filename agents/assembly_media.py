"""What a join reads and writes through the store: stored clips, sources and music as files
on this worker, and the render kept in the store.

On a disk the workers share (the embedded folder store) paths travel in the events and
nothing is copied; with an object store every clip, source and song is fetched through the
worker's cache and the render is uploaded, so the worker that joins needs no other's disk."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import structlog

from agents.clip_job import PieceSource
from agents.source_guard import SourceGuard
from agents.stored_media import StoredMedia, local_copy, proxy_file, required
from events.payloads.common import MediaSource, ObjectRef
from events.payloads.render import AudioSource
from storage.keys import clips_prefix, render_key
from storage.object_store import StorageError

log = structlog.get_logger(__name__)

# What one side of a piece renders from: its source (None: the placeholder) and where.
Side = tuple[MediaSource | None, str | ObjectRef]


@dataclass
class JoinMedia:
    """Files for a join, vetted or fetched, and the render's place in the store."""

    guard: SourceGuard
    media: StoredMedia | None

    async def file(self, stack: contextlib.AsyncExitStack, where: str | ObjectRef) -> str:
        """A local file for a clip or source: fetched (held until the stack closes) or vetted."""
        if isinstance(where, ObjectRef):
            return await stack.enter_async_context(required(self.media).local(where))
        return self.guard.local(where)

    async def side(self, stack: contextlib.AsyncExitStack, side: Side) -> PieceSource:
        """A piece's side as render_piece reads it."""
        source, where = side
        if source is None:
            assert isinstance(where, str)  # the placeholder is this worker's own file
            return PieceSource(None, where)
        if isinstance(where, str) and where == source.remote_url:
            return PieceSource(source, await self.guard.source(where, remote=True))
        return PieceSource(source, await self.file(stack, where))

    async def music(self, stack: contextlib.AsyncExitStack, audio: AudioSource) -> str:
        """The render's song as a file here."""
        return await self.file(stack, local_copy(self.media, audio.stored, audio.path) or "")

    async def music_proxy(self, stack: contextlib.AsyncExitStack, audio: AudioSource) -> str | None:
        """The song's upload-time proxy as a file here, if it has one that can be fetched."""
        return await proxy_file(self.media, stack, audio.proxy, None)

    async def keep(self, job: str, muxed: Path, final: Path) -> tuple[str | None, ObjectRef | None]:
        """Put the finished MP4 where downloads find it: renders/ on a shared disk (its path),
        else the store (its object; the local file goes)."""
        if self.media is None or self.media.shared_disk:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(muxed, final)
            return str(final), None
        stored = await self.media.put(render_key(job), muxed, "video/mp4")
        muxed.unlink(missing_ok=True)
        return None, stored


async def discard_clips(media: StoredMedia | None, job: str, trace_id: str | None) -> None:
    """Remove a render's clips from the store once it has ended (on a shared disk they live
    in render_tmp and go with it); a store that cannot be reached keeps them, and that never
    fails the render."""
    if media is None or media.shared_disk:
        return
    try:
        removed = await media.discard(clips_prefix(job))
    except StorageError as exc:
        log.warning("render_worker.stored_clips_kept", trace_id=trace_id, error=str(exc))
        return
    log.info("render_worker.stored_clips_removed", trace_id=trace_id, job=job, count=removed)


def local_of(media: StoredMedia | None, source: MediaSource) -> str | ObjectRef | None:
    """A source's local copy: its path on a shared disk, else its stored object."""
    return local_copy(media, source.stored, source.local_path)
