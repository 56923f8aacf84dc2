"""Media: upload photos and clips (sniffed, probed, thumbnailed), list, get, fetch, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from api.clock import new_id, now
from api.deps import CurrentUser, OwnedProject, ServicesDep, SessionDep, TraceId
from api.errors import not_found
from api.generated_media import adopt_generated, remove_asset
from api.models import MediaAssetRow, Project
from api.openapi_errors import EMITS, OWNED, UPLOAD, errors
from api.openapi_links import created_asset
from api.read_your_writes import emit
from api.routes.uploads import (
    probed,
    receive,
    rejected,
    user_message,
    within_account_bytes,
    within_project_count,
)
from api.schemas import MediaOut
from api.storage import SavedUpload, move_into_place, project_dir, served_file
from api.timelines import drop_generated_timeline
from engine.errors import EngineError
from engine.probe import ProbeResult
from engine.thumbnail import make_thumbnail
from events.payloads import VideoGenerationDeleted

router = APIRouter(prefix="/api/v1/projects/{project_id}/media", tags=["media"])


def media_out(row: MediaAssetRow) -> MediaOut:
    """A media row as the API shows it."""
    return MediaOut(
        id=row.id,
        project_id=row.project_id,
        position=row.position,
        kind="image" if row.kind == "image" else "video",
        content_type=row.content_type,
        filename=row.filename,
        size_bytes=row.size_bytes,
        checksum=row.checksum,
        width=row.width,
        height=row.height,
        rotation=row.rotation,
        display_aspect_ratio=row.display_aspect_ratio,
        duration_ms=row.duration_ms,
        fps=row.fps,
        codec=row.codec,
        thumbnail_url=f"/api/v1/projects/{row.project_id}/media/{row.id}/thumbnail",
        created_at=row.created_at,
        origin="generated" if row.origin == "generated" else "upload",
        generation_id=row.generation_id,
    )


# 409: the project holds as many photos and clips as a project may.
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**created_asset(201), **errors(*UPLOAD, 409)},
)
async def upload_media(
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="A photo or video clip")],
) -> MediaOut:
    """Upload a photo or clip: 415 if it is neither, 422 if it cannot be decoded."""
    settings = services.settings
    await within_project_count(session, project, settings)
    folder = project_dir(settings, project.id) / "media"
    saved = await receive(file, folder, settings.upload_max_bytes)
    await within_account_bytes(session, project, settings, saved)
    if saved.kind == "audio":
        saved.path.unlink(missing_ok=True)
        raise rejected(
            415,
            "unsupported_type",
            f"{saved.filename} is audio; upload music with POST /api/v1/projects/"
            f"{project.id}/audio.",
        )
    info = await probed(saved, settings)
    asset_id = new_id("asset")
    final = move_into_place(saved, folder / f"{asset_id}{saved.extension}")
    thumb = folder / "thumbnails" / f"{asset_id}.jpg"
    try:
        await run_in_threadpool(make_thumbnail, final, thumb)
    except EngineError as exc:
        final.unlink(missing_ok=True)
        thumb.unlink(missing_ok=True)
        raise rejected(422, exc.reason, user_message(exc, saved, final)) from None
    row = await run_in_threadpool(_insert, session, project, saved, info, asset_id, final, thumb)
    return media_out(row)


def _insert(
    session: SessionDep,
    project: Project,
    saved: SavedUpload,
    info: ProbeResult,
    asset_id: str,
    path: Path,
    thumb: Path,
) -> MediaAssetRow:
    position = session.scalar(
        select(func.coalesce(func.max(MediaAssetRow.position) + 1, 0)).where(
            MediaAssetRow.project_id == project.id
        )
    )
    # The engine's own view of the file: what the timeline and the renders will see.
    asset = info.to_media_asset(asset_id=asset_id, path=str(path), checksum=saved.checksum)
    row = MediaAssetRow(
        id=asset_id,
        project_id=project.id,
        position=position or 0,
        kind=asset.kind,
        content_type=saved.content_type,
        filename=saved.filename,
        path=asset.path,
        checksum=asset.checksum,
        size_bytes=saved.size_bytes,
        width=asset.width,
        height=asset.height,
        rotation=asset.rotation,
        display_aspect_ratio=asset.display_aspect_ratio,
        duration_ms=asset.duration_ms,
        fps=asset.fps,
        codec=info.codec,
        thumbnail_path=str(thumb),
        created_at=now(),
    )
    session.add(row)
    drop_generated_timeline(session, project.id)
    session.commit()
    return row


@router.get("", responses=errors(*OWNED))
def list_media(project: OwnedProject, session: SessionDep, services: ServicesDep) -> list[MediaOut]:
    """The project's media in timeline order, completed generations included."""
    adopt_generated(session, services.settings, project.id)
    rows = session.scalars(
        select(MediaAssetRow)
        .where(MediaAssetRow.project_id == project.id)
        .order_by(MediaAssetRow.position)
    )
    return [media_out(r) for r in rows]


def _owned_asset(session: SessionDep, project: Project, asset_id: str) -> MediaAssetRow:
    row = session.get(MediaAssetRow, asset_id)
    if row is None or row.project_id != project.id:
        raise not_found(f"media asset {asset_id}")
    return row


@router.get("/{asset_id}", responses=errors(*OWNED))
def get_media(asset_id: str, project: OwnedProject, session: SessionDep) -> MediaOut:
    """One media asset."""
    return media_out(_owned_asset(session, project, asset_id))


@router.get("/{asset_id}/thumbnail", response_class=FileResponse, responses=errors(*OWNED))
def get_thumbnail(
    asset_id: str, project: OwnedProject, session: SessionDep, services: ServicesDep
) -> FileResponse:
    """The asset's JPEG thumbnail (longer side 320 px)."""
    row = _owned_asset(session, project, asset_id)
    path = served_file(services.settings, row.thumbnail_path) if row.thumbnail_path else None
    if path is None:
        raise not_found(f"the thumbnail of {asset_id}")
    return FileResponse(path, media_type="image/jpeg")


@router.get("/{asset_id}/file", response_class=FileResponse, responses=errors(*OWNED))
def get_file(
    asset_id: str, project: OwnedProject, session: SessionDep, services: ServicesDep
) -> FileResponse:
    """The asset's file as stored (HTTP Range requests supported)."""
    row = _owned_asset(session, project, asset_id)
    path = served_file(services.settings, row.path)
    if path is None:
        raise not_found(f"the file of {asset_id}")
    return FileResponse(path, media_type=row.content_type, filename=row.filename)


@router.delete(
    "/{asset_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(*OWNED, *EMITS)
)
async def delete_media(
    asset_id: str,
    project: OwnedProject,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
) -> Response:
    """Remove an asset and its files (a render still using it gets a placeholder clip); a
    generated clip's generation is deleted with it, so it does not come back."""
    row = await run_in_threadpool(_owned_asset, session, project, asset_id)
    if row.origin == "generated" and row.generation_id:
        deleted = VideoGenerationDeleted(
            generation_id=row.generation_id, project_id=project.id, requested_by=user.id
        )
        await emit(services, deleted, trace_id=trace_id)
    await run_in_threadpool(remove_asset, session, row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
