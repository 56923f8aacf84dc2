"""Generated clips become media assets of their project, the asset's id being the generation's.

The worker writes the clip and the projector folds its record; the API turns each completed,
not deleted generation into a media row the first time the project's media are read, so the
clip is in the media list, the timeline and renders like any upload. A clip the generator
put into the store is adopted by its key (the asset's file is the generation's object, not
a copy); an older record names paths, which came from an event: a clip outside the media
and artifacts folders is never adopted."""

from __future__ import annotations

import re
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.clock import now
from api.models import MediaAssetRow
from api.read_models import VideoGeneration, generations_of
from api.services import Services
from api.settings import ApiSettings
from api.storage import served_file
from api.stored_files import delete_objects
from api.timelines import drop_generated_timeline
from storage.object_store import ObjectStore

log = structlog.get_logger(__name__)


def adopt_generated(session: Session, services: Services, project_id: str) -> int:
    """Add the project's completed generations that have no media row yet; return how many."""
    settings = services.settings
    done = generations_of(session, project_id, completed_only=True)
    if not done:
        return 0
    have = adopted_ids(session, project_id)
    new = [g for g in reversed(done) if g.generation_id not in have]
    rows = [r for r in (_row(settings, g) for g in new) if r is not None]
    if not rows:
        return 0
    position = session.scalar(
        select(func.coalesce(func.max(MediaAssetRow.position) + 1, 0)).where(
            MediaAssetRow.project_id == project_id
        )
    )
    for offset, row in enumerate(rows):
        row.position = (position or 0) + offset
        session.add(row)
    drop_generated_timeline(session, project_id)
    try:
        session.commit()
    except IntegrityError:
        # Another request adopted them at the same moment: theirs stand.
        session.rollback()
        return 0
    return len(rows)


def adopted_ids(session: Session, project_id: str) -> set[str]:
    """The ids of the project's generations that are media assets already."""
    query = select(MediaAssetRow.id).where(
        MediaAssetRow.project_id == project_id, MediaAssetRow.origin == "generated"
    )
    return set(session.scalars(query))


def remove_asset(session: Session, store: ObjectStore, row: MediaAssetRow) -> None:
    """Delete a media row (the generated timeline using it goes too), then its files."""
    session.delete(row)
    drop_generated_timeline(session, row.project_id)
    session.commit()
    for key, path in ((row.storage_key, row.path), (row.thumbnail_key, row.thumbnail_path)):
        if key is None:
            Path(path).unlink(missing_ok=True)
    delete_objects(store, [k for k in (row.storage_key, row.thumbnail_key) if k])


def clip_file_name(prompt: str | None, generation_id: str) -> str:
    """A file name a person recognises: the prompt's first words, then the id."""
    words = re.sub(r"[^A-Za-z0-9]+", "-", prompt or "").strip("-").lower()[:40].strip("-")
    return f"{words or 'generated'}-{generation_id}.mp4"


def _row(settings: ApiSettings, g: VideoGeneration) -> MediaAssetRow | None:
    """The media row of a completed generation: by its objects in the store when the
    generator kept it there, else by its files under the media folders."""
    if not (g.width and g.height and g.checksum):
        return _not_adopted(g, "the record has no frame size or checksum")
    if g.storage_key and g.thumbnail_key:
        if not g.size_bytes:
            return _not_adopted(g, "the record has no size")
        # Where the worker wrote them is kept for older readers; the store has them by key.
        where = (g.local_path or g.storage_key, g.thumbnail_path or g.thumbnail_key)
        return _asset_row(g, where, g.size_bytes, (g.storage_key, g.thumbnail_key))
    clip = served_file(settings, g.local_path or "")
    thumb = served_file(settings, g.thumbnail_path or "")
    if clip is None or thumb is None:
        return _not_adopted(g, "the clip or its thumbnail is missing or outside the media folders")
    size = g.size_bytes or clip.stat().st_size
    return _asset_row(g, (str(clip), str(thumb)), size, (None, None))


def _not_adopted(g: VideoGeneration, reason: str) -> MediaAssetRow | None:
    """No row: the generation is logged with why it is not a media asset."""
    log.warning("api.generated_clip_not_adopted", generation_id=g.generation_id, reason=reason)
    return None


def _asset_row(
    g: VideoGeneration,
    paths: tuple[str, str],
    size: int,
    keys: tuple[str | None, str | None],
) -> MediaAssetRow:
    """The media row of a generated clip at `paths` (clip, thumbnail), stored under `keys`."""
    assert g.width and g.height and g.checksum  # _row checked them
    return MediaAssetRow(
        id=g.generation_id,
        project_id=g.project_id,
        position=0,
        kind="video",
        content_type="video/mp4",
        filename=clip_file_name(g.prompt, g.generation_id),
        path=paths[0],
        checksum=g.checksum,
        size_bytes=size,
        width=g.width,
        height=g.height,
        rotation=0,
        display_aspect_ratio=g.width / g.height,
        duration_ms=g.duration_ms,
        fps=g.output_fps,
        codec=g.codec or "h264",
        thumbnail_path=paths[1],
        created_at=g.completed_at or now(),
        origin="generated",
        generation_id=g.generation_id,
        storage_key=keys[0],
        thumbnail_key=keys[1],
    )
