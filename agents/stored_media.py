"""Objects in the service's store as files on this worker, and this worker's files into it.

Reads go through the worker's content-addressed cache (storage.cache): a medium used by
many renders is fetched once, and an entry is never evicted while a task holds it. With
the embedded folder store the cache hands out the store's own file, so nothing is copied.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from events.payloads.common import ObjectRef
from storage.cache import ObjectCache
from storage.filesystem import FilesystemStore
from storage.keys import check_key
from storage.object_store import ObjectStore, StorageError, StoredObject

log = structlog.get_logger(__name__)


@dataclass
class StoredMedia:
    """The store and this worker's cache of it."""

    store: ObjectStore
    cache: ObjectCache
    # True for the embedded default (no BEATSTITCH_STORAGE_URL): the API and every worker
    # see the same media and artifacts folders, so events carry paths and nothing is copied.
    # With a store named (S3, or a file:// folder) clips and renders go through it.
    shared_disk: bool = False

    @property
    def roots(self) -> tuple[Path, ...]:
        """Where files handed out by `local` live: the cache, and the store's own folder."""
        own = self.store.root if isinstance(self.store, FilesystemStore) else None
        return (self.cache.folder.resolve(), *(() if own is None else (own,)))

    @contextlib.asynccontextmanager
    async def local(self, ref: ObjectRef) -> AsyncIterator[str]:
        """A file on this machine with the object's bytes, kept until the block ends."""
        obj = StoredObject(key=check_key(ref.key), size=ref.size, sha256=ref.sha256)
        with contextlib.ExitStack() as stack:
            path = await asyncio.to_thread(stack.enter_context, self.cache.open(self.store, obj))
            yield str(path)

    async def put(self, key: str, source: Path, content_type: str | None = None) -> ObjectRef:
        """Store a file of this worker under key; the reference events carry."""
        obj = await asyncio.to_thread(self.store.put_file, check_key(key), source, content_type)
        return ObjectRef(key=obj.key, sha256=obj.sha256, size=obj.size)

    async def discard(self, prefix: str) -> int:
        """Remove every stored object under prefix (a render's clips once it has ended); the
        number removed."""

        def remove() -> int:
            keys = [obj.key for obj in self.store.list(prefix)]
            for key in keys:
                self.store.delete(key)
            return len(keys)

        return await asyncio.to_thread(remove)


async def proxy_file(
    media: StoredMedia | None,
    held: contextlib.AsyncExitStack,
    ref: ObjectRef | None,
    trace_id: str | None,
) -> str | None:
    """An upload-time proxy as a file here (held until `held` closes), or None when there is
    none or it cannot be fetched: a proxy makes work cheaper, never fails it."""
    if ref is None or media is None:
        return None
    try:
        return await held.enter_async_context(media.local(ref))
    except StorageError as exc:
        log.warning(
            "render_worker.proxy_passed_over", trace_id=trace_id, key=ref.key, error=str(exc)
        )
        return None


def local_copy(
    media: StoredMedia | None, stored: ObjectRef | None, path: str | None
) -> str | ObjectRef | None:
    """Where to read a file an event names both ways: on a disk every worker shares the path
    (as the API wrote it, read in place), else the stored object."""
    if path is not None and (media is None or media.shared_disk):
        return path
    return stored or path


def required(media: StoredMedia | None) -> StoredMedia:
    """The worker's store, for an event that names a stored object."""
    if media is None:
        raise StorageError("this worker has no object store, so it cannot read stored objects")
    return media


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
