"""Media: upload photos and clips (sniffed, probed, thumbnailed), list, get, fetch, delete."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from api.clock import new_id, now
from api.deps import CurrentUser, OwnedProject, ServicesDep, SessionDep, TraceId
from api.errors import conflict, not_found
from api.generated_media import adopt_generated, remove_asset
from api.models import MediaAssetRow, Project
from api.openapi_errors import BODY, EMITS, OWNED, UPLOAD, errors
from api.openapi_links import created_asset
from api.read_models import MediaProxy, proxies_of
from api.read_your_writes import emit
from api.routes.uploads import (
    probed,
    receive,
    rejected,
    user_message,
    within_account_bytes,
    within_project_count,
)
from api.schemas import MediaOrder, MediaOut
from api.served_objects import REDIRECT, StreamThrough, serve_object
from api.storage import SavedUpload, served_file
from api.stored_files import incoming_dir, local_file, media_file, move_to, put_upload
from api.timelines import drop_generated_timeline
from api.upload_proxies import proxies_out, proxy_request, request_proxy
from engine.errors import EngineError
from engine.probe import ProbeResult
from engine.thumbnail import make_thumbnail
from events.payloads import VideoGenerationDeleted
from storage.keys import thumbnail_key, upload_key

router = APIRouter(prefix="/api/v1/projects/{project_id}/media", tags=["media"])


def media_out(row: MediaAssetRow, proxies: list[MediaProxy] | None = None) -> MediaOut:
    """A media row as the API shows it, with its proxies as the projection has them."""
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
        proxies=proxies_out(proxies or []),
    )


# 409: the project holds as many photos and clips as a project may.
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**created_asset(201), **errors(*UPLOAD, 409, store=True)},
)
async def upload_media(
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
    file: Annotated[UploadFile, File(description="A photo or video clip")],
) -> MediaOut:
    """Upload a photo or clip: 415 if it is neither, 422 if it cannot be decoded; a worker
    then makes its proxy for the project's output size."""
    settings, store = services.settings, services.store
    await within_project_count(session, project, settings)
    saved = await receive(file, incoming_dir(settings), settings.upload_max_bytes)
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
    keys = StoredKeys(
        upload_key(project.id, asset_id, saved.extension), thumbnail_key(project.id, asset_id)
    )
    final = move_to(saved.path, local_file(store, settings, keys.file))
    thumb = local_file(store, settings, keys.thumbnail)
    try:
        await run_in_threadpool(make_thumbnail, final, thumb)
    except EngineError as exc:
        final.unlink(missing_ok=True)
        thumb.unlink(missing_ok=True)
        raise rejected(422, exc.reason, user_message(exc, saved, final)) from None
    await put_upload(
        store, [(keys.file, final, saved.content_type), (keys.thumbnail, thumb, "image/jpeg")]
    )
    row = await run_in_threadpool(
        _insert, session, project, saved, info, asset_id, (final, thumb), keys
    )
    kind = "image" if row.kind == "image" else "video"
    request = proxy_request(project, row.id, kind, row.checksum, media_file(store, row))
    await request_proxy(services, request, trace_id)
    return media_out(row)


@dataclass(frozen=True)
class StoredKeys:
    """The keys of an upload's file and its thumbnail in the store."""

    file: str
    thumbnail: str


def _insert(
    session: SessionDep,
    project: Project,
    saved: SavedUpload,
    info: ProbeResult,
    asset_id: str,
    files: tuple[Path, Path],
    keys: StoredKeys,
) -> MediaAssetRow:
    path, thumb = files
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
        storage_key=keys.file,
        thumbnail_key=keys.thumbnail,
    )
    session.add(row)
    drop_generated_timeline(session, project.id)
    session.commit()
    return row


@router.get("", responses=errors(*OWNED))
def list_media(project: OwnedProject, session: SessionDep, services: ServicesDep) -> list[MediaOut]:
    """The project's media in timeline order, completed generations included."""
    adopt_generated(session, services, project.id)
    rows = session.scalars(
        select(MediaAssetRow)
        .where(MediaAssetRow.project_id == project.id)
        .order_by(MediaAssetRow.position)
    )
    assets = list(rows)
    proxies = proxies_of(session, [r.id for r in assets])
    return [media_out(r, proxies[r.id]) for r in assets]


@router.put("/order", responses=errors(*OWNED, *BODY, 409))
def reorder_media(
    body: MediaOrder, project: OwnedProject, session: SessionDep, services: ServicesDep
) -> list[MediaOut]:
    """Put the project's photos and clips in the given order (every asset id, once); 409
    when the list is not the project's media as it is now (one was added or removed)."""
    rows = list(
        session.scalars(select(MediaAssetRow).where(MediaAssetRow.project_id == project.id))
    )
    by_id = {r.id: r for r in rows}
    if len(set(body.asset_ids)) != len(body.asset_ids) or set(body.asset_ids) != set(by_id):
        raise conflict(
            "The order must list each of the project's photos and clips once; reload the "
            "media and try again."
        )
    changed = False
    for position, asset_id in enumerate(body.asset_ids):
        row = by_id[asset_id]
        changed = changed or row.position != position
        row.position = position
    if changed:
        # The generated timeline followed the old order; an edited one is the user's.
        drop_generated_timeline(session, project.id)
    session.commit()
    return list_media(project, session, services)


def _owned_asset(session: SessionDep, project: Project, asset_id: str) -> MediaAssetRow:
    row = session.get(MediaAssetRow, asset_id)
    if row is None or row.project_id != project.id:
        raise not_found(f"media asset {asset_id}")
    return row


@router.get("/{asset_id}", responses=errors(*OWNED))
def get_media(asset_id: str, project: OwnedProject, session: SessionDep) -> MediaOut:
    """One media asset."""
    row = _owned_asset(session, project, asset_id)
    return media_out(row, proxies_of(session, [row.id])[row.id])


@router.get(
    "/{asset_id}/thumbnail",
    response_class=FileResponse,
    responses={**REDIRECT, **errors(*OWNED, store=True)},
)
def get_thumbnail(
    asset_id: str,
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    stream: StreamThrough = False,
) -> Response:
    """The asset's JPEG thumbnail (longer side 320 px); from an S3 store, a 307 to it."""
    row = _owned_asset(session, project, asset_id)
    return serve_object(
        services.store,
        row.thumbnail_key,
        fallback=served_file(services.settings, row.thumbnail_path),
        what=f"The thumbnail of {asset_id}",
        media_type="image/jpeg",
        ttl_s=services.download_url_ttl_s,
        redirect=not stream,
    )


@router.get(
    "/{asset_id}/file",
    response_class=FileResponse,
    responses={**REDIRECT, **errors(*OWNED, store=True)},
)
def get_file(
    asset_id: str,
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    stream: StreamThrough = False,
) -> Response:
    """The asset's file as stored (HTTP Range requests supported); from an S3 store, a 307
    to a short-lived URL of it."""
    row = _owned_asset(session, project, asset_id)
    return serve_object(
        services.store,
        row.storage_key,
        fallback=served_file(services.settings, row.path),
        what=f"The file of {asset_id}",
        media_type=row.content_type,
        filename=row.filename,
        ttl_s=services.download_url_ttl_s,
        redirect=not stream,
    )


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
    await run_in_threadpool(remove_asset, session, services.store, row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
