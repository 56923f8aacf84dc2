"""The API's side of the store: where an upload waits until it is stored, putting it there,
and what a row's file is to a render (a stored object, a path on a shared disk, or both).

With BEATSTITCH_STORAGE_URL empty the store is a folder rooted at the media folder and the
keys are the paths the API always used, so an upload is received, renamed to its key's
file and only its checksum recorded. For an S3 store the upload waits in the `.incoming`
folder under the media folder until it is put, and is removed after."""

from __future__ import annotations

import shutil
from pathlib import Path

import structlog
from fastapi import HTTPException, status
from starlette.concurrency import run_in_threadpool

from api.models import AudioTrack, MediaAssetRow
from api.settings import ApiSettings
from api.storage import media_root
from domain.render_request import SourceFile
from events.payloads.common import ObjectRef
from storage.filesystem import FilesystemStore
from storage.object_store import (
    ObjectMissing,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    StoredObject,
)

log = structlog.get_logger(__name__)
INCOMING_DIR = ".incoming"
_SHA256_LENGTH = 64


def unavailable(exc: StorageError) -> HTTPException:
    """The answer when the store failed: 404 for a missing object, else 503 with its sentence."""
    if isinstance(exc, ObjectMissing):
        return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{exc}.")
    if isinstance(exc, StorageUnavailable):
        detail = f"The store of media and renders did not answer: {exc}"
    else:
        detail = f"The store of media and renders failed: {exc}"
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=detail)


def incoming_dir(settings: ApiSettings) -> Path:
    """Where uploads are received before they have a name (under the media folder)."""
    return media_root(settings) / INCOMING_DIR


def on_shared_disk(store: ObjectStore) -> bool:
    """True when the store is a folder every worker reads too (paths may travel in events)."""
    return isinstance(store, FilesystemStore)


def local_file(store: ObjectStore, settings: ApiSettings, key: str) -> Path:
    """The file an object is written to before it is stored: the key's own file in a folder
    store, else one under the media folder's `.incoming` folder, removed once stored."""
    own = store.local_path(key) if on_shared_disk(store) else None
    return own if own is not None else incoming_dir(settings) / key


def move_to(source: Path, dest: Path) -> Path:
    """Move a received file to dest (a rename on one disk, a copy to another)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, dest)
    return dest


def put_local(store: ObjectStore, key: str, path: Path, content_type: str) -> StoredObject:
    """Store the file under key; unless it is the folder store's own file, remove it after
    (also when the store failed: the upload is refused then)."""
    try:
        return store.put_file(key, path, content_type)
    finally:
        if store.local_path(key) != path:
            path.unlink(missing_ok=True)


async def put_upload(store: ObjectStore, files: list[tuple[str, Path, str]]) -> None:
    """Store an upload's files (key, local file, content type) in a thread; 503 with the
    store's sentence when it does not answer (every local copy is removed then)."""
    try:
        for key, path, content_type in files:
            await run_in_threadpool(put_local, store, key, path, content_type)
    except StorageError as exc:
        for key, path, _ in files:
            if store.local_path(key) != path:
                path.unlink(missing_ok=True)
        raise unavailable(exc) from None


def read_object(store: ObjectStore, key: str, fallback: str | Path | None) -> bytes:
    """A small object's bytes (a beat grid); the file at `fallback` when the store holds no
    such object (a worker whose folder store is rooted elsewhere); 404 or 503 otherwise."""
    try:
        found = store.stat(key)
        if found is not None:
            return b"".join(store.read_range(key, 0, max(found.size - 1, 0)))
        if fallback and Path(fallback).is_file():
            return Path(fallback).read_bytes()
        raise ObjectMissing(key)
    except StorageError as exc:
        raise unavailable(exc) from None


def delete_objects(store: ObjectStore, keys: list[str]) -> None:
    """Remove objects whose rows are gone; one the store cannot remove now is logged and left."""
    for key in keys:
        try:
            store.delete(key)
        except StorageError as exc:
            log.warning("api.stored_file_not_deleted", key=key, error=str(exc))


def object_ref(store: ObjectStore, key: str, checksum: str, size: int) -> ObjectRef:
    """A stored object as an event names it: the row's checksum when it is the file's
    SHA-256 (the API's uploads and the generator's clips record one), else the store's."""
    if len(checksum) == _SHA256_LENGTH and all(c in "0123456789abcdef" for c in checksum):
        return ObjectRef(key=key, sha256=checksum, size=size)
    found = store.stat(key)
    if found is None:
        raise ObjectMissing(key)
    return ObjectRef(key=key, sha256=found.sha256, size=found.size)


def source_file(
    store: ObjectStore, key: str | None, path: str, checksum: str, size: int
) -> SourceFile:
    """Where a worker finds a row's file: in the store (and on the shared disk when the
    store is one); a row from before the store (no key) only at its path."""
    if key is None:
        return SourceFile(stored=None, local_path=path)
    local = store.local_path(key) if on_shared_disk(store) else None
    return SourceFile(
        stored=object_ref(store, key, checksum, size),
        local_path=None if local is None else str(local),
    )


def music_file(store: ObjectStore, track: AudioTrack) -> SourceFile:
    """Where a worker finds a song's file (for its beat analysis and the renders)."""
    return source_file(store, track.storage_key, track.path, track.checksum, track.size_bytes)


def media_file(store: ObjectStore, row: MediaAssetRow) -> SourceFile:
    """Where a worker finds a photo's or clip's file."""
    return source_file(store, row.storage_key, row.path, row.checksum, row.size_bytes)
