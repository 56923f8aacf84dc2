"""A render's poster: a JPEG of its video, made the first time someone asks for it (a
project card, the studio) and kept in the store beside the video, so it is made once."""

from __future__ import annotations

import tempfile
from pathlib import Path

from api.read_models import RenderJob
from api.settings import ApiSettings
from api.storage import served_file
from api.stored_files import unavailable
from engine.errors import EngineError
from engine.thumbnail import make_thumbnail
from storage.keys import render_poster_key
from storage.object_store import ObjectStore, StorageError

# Wide enough for a project card at twice its CSS size.
POSTER_SIDE = 480


class NoPoster(Exception):
    """The render's video cannot give a picture (removed, or not readable): a sentence."""


def ensure_poster(store: ObjectStore, settings: ApiSettings, job: RenderJob) -> str:
    """The key of a completed render's poster, made from its video unless it is there."""
    key = render_poster_key(job.id)
    try:
        if store.stat(key) is not None:
            return key
        with tempfile.TemporaryDirectory(prefix="poster-") as tmp:
            video = _video_here(store, settings, job, Path(tmp) / "render.mp4")
            poster = Path(tmp) / "poster.jpg"
            try:
                make_thumbnail(video, poster, max_side=POSTER_SIDE)
            except EngineError as exc:
                raise NoPoster(f"its video gives no picture ({exc})") from None
            store.put_file(key, poster, "image/jpeg")
    except StorageError as exc:
        raise unavailable(exc) from None
    return key


def _video_here(store: ObjectStore, settings: ApiSettings, job: RenderJob, spare: Path) -> Path:
    """The render's MP4 as a file here: fetched from the store, or read in place from a
    folder this API serves (a path from an event outside them is never read)."""
    if job.output_key and store.stat(job.output_key) is not None:
        store.fetch(job.output_key, spare)
        return spare
    local = served_file(settings, job.output_path) if job.output_path else None
    if local is None:
        raise NoPoster("its video was removed")
    return local
