"""After an upload is stored, ask a worker for its proxy: a photo or clip pre-shaped for the
project's output size, or the song as AAC. Renders use a proxy once it is made and read the
original until then, so a request that cannot be sent only costs speed, never the upload."""

from __future__ import annotations

import structlog
from aiokafka.errors import KafkaError

from api.models import Project
from api.read_your_writes import emit
from api.services import Services
from domain.render_request import SourceFile
from engine.render_settings import RenderSettings
from events.payloads import MediaProxyRequested

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
