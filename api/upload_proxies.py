"""After an upload is stored, ask a worker for its proxy: a photo or clip pre-shaped for the
project's output size, or the song as AAC. Renders use a proxy once it is made and read the
original until then, so a request that cannot be sent only costs speed, never the upload."""

from __future__ import annotations

from typing import Literal

import structlog
from aiokafka.errors import KafkaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import MediaAssetRow, Project
from api.read_models import MediaProxy, proxies_of
from api.read_your_writes import emit
from api.schemas import ProxyOut
from api.services import Services
from api.stored_files import media_file
from domain.render_request import SourceFile
from engine.render_settings import RenderSettings
from events.payloads import MediaProxyRequested
from events.payloads.common import ObjectRef, ProxyRef

log = structlog.get_logger(__name__)


def proxy_request(
    project: Project, asset_id: str, kind: str, checksum: str, file: SourceFile
) -> MediaProxyRequested:
    """The proxy request of an upload (kind video, image or music): a photo or clip at the
    project's output size; the path only when the store is a folder every worker shares."""
    sized: dict[str, int] = {}
    if kind != "music":
        out = RenderSettings.model_validate(project.settings).output
        sized = {"width": out.width, "height": out.height, "fps": out.fps}
    return MediaProxyRequested(
        asset_id=asset_id,
        project_id=project.id,
        kind=kind,
        checksum=checksum,
        stored=file.stored,
        path=file.local_path,
        **sized,
    )


async def request_proxy(services: Services, request: MediaProxyRequested, trace_id: str) -> None:
    """Send the request unless BEATSTITCH_UPLOAD_PROXIES is off; nobody waits for its fold."""
    if not services.settings.upload_proxies:
        return
    try:
        await emit(services, request, trace_id=trace_id, wait=False)
    except KafkaError as exc:
        log.warning(
            "api.proxy_not_requested",
            trace_id=trace_id,
            asset_id=request.asset_id,
            kind=request.kind,
            error=str(exc),
        )


async def request_resized_proxies(
    services: Services, session: Session, project: Project, trace_id: str
) -> int:
    """After a project's output size changed: ask for its photos' and clips' proxies at the
    new size, except those made or asked for already; how many were asked for. Until they
    are made, renders read the originals."""
    out = RenderSettings.model_validate(project.settings).output
    variant = f"{out.width}x{out.height}"
    rows = session.scalars(select(MediaAssetRow).where(MediaAssetRow.project_id == project.id))
    media = list(rows)
    known = proxies_of(session, [row.id for row in media])
    asked = 0
    for row in media:
        if any(p.variant == variant and p.status != "failed" for p in known[row.id]):
            continue
        kind = "image" if row.kind == "image" else "video"
        file = media_file(services.store, row)
        await request_proxy(
            services, proxy_request(project, row.id, kind, row.checksum, file), trace_id
        )
        asked += 1
    return asked


def made_proxies(rows: list[MediaProxy]) -> list[ProxyRef]:
    """An asset's completed photo or clip proxies (rows newest first), as a request names them."""
    return [
        ProxyRef(
            key=r.key, sha256=r.sha256, size=r.size, width=r.width, height=r.height, recipe=r.recipe
        )
        for r in rows
        if _made(r) and r.variant != "music" and r.width and r.height and r.recipe
    ]


def made_music(rows: list[MediaProxy]) -> ObjectRef | None:
    """A song's completed AAC proxy, if there is one."""
    for r in rows:
        if _made(r) and r.variant == "music":
            return ObjectRef(key=r.key, sha256=r.sha256, size=r.size)
    return None


def _made(row: MediaProxy) -> bool:
    return row.status == "completed" and bool(row.key and row.sha256) and row.size is not None


def proxies_out(rows: list[MediaProxy]) -> list[ProxyOut]:
    """An upload's proxies as the API shows them, by variant."""
    return [
        ProxyOut(variant=r.variant, status=_shown(r.status))
        for r in sorted(rows, key=lambda r: r.variant)
    ]


def _shown(status: str) -> Literal["pending", "completed", "failed"]:
    if status == "completed":
        return "completed"
    return "failed" if status == "failed" else "pending"
