"""Answering a GET of a stored object: the folder store's file (with Range), a redirect to
the store's own download URL (S3: presigned, with Range), or the bytes streamed through.

A key that came from an event may name an object the API's store does not hold (a worker
whose folder store is rooted elsewhere); the path the same event named is served then, as
before the store. A missing object is 404 with a sentence; a store that does not answer is
503 with its own sentence, which names the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import HTTPException, Query, Response, status
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from api.stored_files import on_shared_disk, unavailable
from storage.object_store import ObjectStore, StorageError, StoredObject

# Documented on each route that may redirect to the store.
REDIRECT: dict[int | str, dict[str, Any]] = {
    307: {
        "description": "The object is in an S3 store: GET it from the short-lived URL in "
        "Location (Range requests supported there)."
    }
}

# `?stream=true` on a route that may redirect: the bytes through the API instead, for a page
# whose policy lets it fetch from this server only (the studio).
StreamThrough = Annotated[
    bool,
    Query(
        description="From an S3 store, stream the bytes through the API instead of a 307 "
        "(for a page that may fetch from this server only)."
    ),
]


def serve_object(
    store: ObjectStore,
    key: str | None,
    *,
    fallback: Path | None,
    what: str,
    media_type: str,
    filename: str | None = None,
    ttl_s: int,
    redirect: bool = True,
) -> Response:
    """The GET answer for an object of the store (or, when `key` is None or names nothing,
    the local file `fallback`); `what` names it in the 404's sentence. `redirect=False`
    streams an S3 object through the API instead of a 307 (for a page whose policy lets it
    fetch from this server only)."""
    if key is not None:
        answer = _from_store(store, key, media_type, filename, ttl_s if redirect else None)
        if answer is not None:
            return answer
    if fallback is not None:
        return FileResponse(fallback, media_type=media_type, filename=filename)
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} is not in the store.")


def _from_store(
    store: ObjectStore, key: str, media_type: str, filename: str | None, ttl_s: int | None
) -> Response | None:
    try:
        if on_shared_disk(store):
            local = store.local_path(key)
            if local is None or not local.is_file():
                return None
            return FileResponse(local, media_type=media_type, filename=filename)
        found = store.stat(key)
        if found is None:
            return None
        name = filename or key.rpartition("/")[2]
        url = None if ttl_s is None else store.download_url(key, name, ttl_s)
    except StorageError as exc:
        raise unavailable(exc) from None
    if url is not None:
        return RedirectResponse(url, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    return _streamed(store, found, media_type, filename)


def _streamed(
    store: ObjectStore, found: StoredObject, media_type: str, filename: str | None
) -> Response:
    """The whole object streamed through the API (a store that gives no download URL)."""
    headers = {}
    if filename:
        headers["Content-Disposition"] = f"attachment; filename*=utf-8''{quote(filename)}"
    if found.size == 0:
        return Response(b"", media_type=media_type, headers=headers)
    chunks = store.read_range(found.key, 0, found.size - 1)
    headers["Content-Length"] = str(found.size)
    return StreamingResponse(chunks, media_type=media_type, headers=headers)
