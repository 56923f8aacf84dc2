"""Generations: ask for a clip (202), list, get, follow its progress (SSE), delete (soft)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from math import gcd
from typing import cast

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import ValidationError
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.clock import new_id
from api.deps import CurrentUser, OwnedProject, ServicesDep, SessionDep, TraceId
from api.errors import conflict, not_found, unprocessable
from api.generated_media import adopt_generated, adopted_ids, remove_asset
from api.generation_schemas import (
    GenerationAccepted,
    GenerationCreate,
    GenerationOut,
    GenerationStatus,
)
from api.models import MediaAssetRow, Project, Timeline
from api.openapi_errors import BODY, EMITS, OWNED, errors
from api.read_models import VideoGeneration, generation_of, generations_of
from api.read_your_writes import emit
from api.schemas import ProgressEvent
from api.services import Services
from api.stored_files import media_file
from api.stream_slots import ClosingEventSource
from api.timelines import edl_of, ready_audio
from domain.render_request import SourceFile
from engine.generation.registry import PROVIDERS
from engine.generation.spec import ClipSpec
from events.payloads import VideoGenerationDeleted, VideoGenerationRequested
from storage.object_store import ObjectStore

router = APIRouter(prefix="/api/v1/projects/{project_id}/generations", tags=["generations"])

# How often a progress stream looks at the record, and the longest it stays open.
STREAM_POLL_S = 0.25
ENDED = ("completed", "failed")


def generation_urls(project_id: str, generation_id: str) -> tuple[str, str]:
    """Status and events URLs of a generation."""
    base = f"/api/v1/projects/{project_id}/generations/{generation_id}"
    return base, f"{base}/events"


def generation_out(g: VideoGeneration, adopted: bool) -> GenerationOut:
    """A generation record as the API shows it."""
    media = f"/api/v1/projects/{g.project_id}/media"
    done = g.status == "completed" and adopted
    width, height = g.width, g.height
    return GenerationOut(
        id=g.generation_id,
        project_id=g.project_id or "",
        provider=g.provider,
        kind=g.kind,
        prompt=g.prompt,
        model=g.model,
        image_asset_id=g.image_asset_id,
        image_url=f"{media}/{g.image_asset_id}/thumbnail" if g.image_asset_id else None,
        first_frame_url=f"{media}/{g.generation_id}/thumbnail" if done else None,
        video_url=f"{media}/{g.generation_id}/file" if done else None,
        provider_video_url=g.video_url,
        asset_id=g.generation_id if done else None,
        segment_index=g.segment_index,
        duration=g.duration_s,
        duration_ms=g.duration_ms,
        fps=g.fps,
        resolution=f"{width}x{height}" if width and height else None,
        aspect_ratio=aspect_ratio(width, height),
        width=width,
        height=height,
        style=g.style,
        motion_level=g.motion_level,
        camera_motion=g.camera_motion,
        seed=g.seed,
        status=cast(GenerationStatus, g.status),
        progress=g.progress,
        message=g.error_msg or g.progress_message,
        task_id=g.task_id,
        attempts=g.attempts,
        provider_metadata={str(k): str(v) for k, v in (g.provider_metadata or {}).items()},
        error_msg=g.error_msg,
        error_code=g.error_code,
        created_at=g.created_at,
        updated_at=g.updated_at,
        completed_at=g.completed_at,
        deleted_at=g.deleted_at,
    )


def aspect_ratio(width: int | None, height: int | None) -> str | None:
    """'16:9' for 1280x720: the size reduced by its greatest common divisor."""
    if not width or not height:
        return None
    d = gcd(width, height)
    return f"{width // d}:{height // d}"


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(*OWNED, *BODY, 409, *EMITS, store=True),
)
async def create_generation(
    body: GenerationCreate,
    project: OwnedProject,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
) -> GenerationAccepted:
    """Queue a clip to be generated; it joins the project's media when it completes."""
    generation_id = new_id("gen")
    request = await run_in_threadpool(
        _request_of, services, session, project, user.id, body, generation_id
    )
    await run_in_threadpool(session.close)
    await emit(services, request, trace_id=trace_id)
    status_url, events_url = generation_urls(project.id, generation_id)
    return GenerationAccepted(
        generation_id=generation_id,
        status="pending",
        status_url=status_url,
        events_url=events_url,
    )


def _request_of(
    services: Services,
    session: Session,
    project: Project,
    user_id: str,
    body: GenerationCreate,
    generation_id: str,
) -> VideoGenerationRequested:
    provider = body.provider or services.generation.video_generation_provider
    if provider not in PROVIDERS or not services.generation.configured(provider):
        raise conflict(
            f"The {provider} provider is not set up on this service (no API key or URL); "
            f"ask for another provider, or have the operator set it up."
        )
    image = _image_file(session, services.store, project, body)
    start_s = body.start_s
    if body.segment_index is not None:
        start_s = _segment_start_s(session, project, body.segment_index, start_s)
    beats = (
        _beats_s(session, services.store, project, start_s, body.duration_s)
        if body.kind == "beat_pulse"
        else ()
    )
    fields = body.model_dump(exclude={"provider", "image_asset_id", "segment_index", "start_s"})
    try:
        spec = ClipSpec.model_validate(
            {**fields, "image": image.local_path if image else None, "beat_times_s": beats}
        )
    except ValidationError as exc:
        raise unprocessable(exc, "body") from None
    return VideoGenerationRequested(
        generation_id=generation_id,
        project_id=project.id,
        requested_by=user_id,
        provider=provider,
        spec=spec,
        image_asset_id=body.image_asset_id,
        image_stored=image.stored if image else None,
        segment_index=body.segment_index,
    )


def _image_file(
    session: Session, store: ObjectStore, project: Project, body: GenerationCreate
) -> SourceFile | None:
    """Where a worker finds the photo of an image_move: in the store, and at its path only on
    a disk every worker shares."""
    if body.image_asset_id is None:
        return None
    row = session.get(MediaAssetRow, body.image_asset_id)
    if row is None or row.project_id != project.id or row.kind != "image":
        raise not_found(f"photo {body.image_asset_id} of project {project.id}")
    return media_file(store, row)


def _segment_start_s(session: Session, project: Project, index: int, given: float) -> float:
    timeline = session.get(Timeline, project.id)
    if timeline is None:
        raise conflict(
            f"Project {project.id} has no timeline yet, so it has no segment {index}: "
            f"POST /api/v1/projects/{project.id}/timeline first, or leave segment_index out."
        )
    segments = edl_of(timeline).segments
    if index >= len(segments):
        raise conflict(
            f"The timeline of project {project.id} has {len(segments)} segments, so it has no "
            f"segment {index} (0 to {len(segments) - 1})."
        )
    return given or segments[index].timeline_in_ms / 1000


def _beats_s(
    session: Session, store: ObjectStore, project: Project, start_s: float, duration_s: float
) -> tuple[float, ...]:
    """The song's beats inside the clip, from its start; none before the music is analysed."""
    try:
        _, grid = ready_audio(session, store, project)
    except HTTPException:
        return ()  # the local provider pulses at 120 BPM instead
    start_ms, end_ms = start_s * 1000, (start_s + duration_s) * 1000
    return tuple(
        round((b.time_ms - start_ms) / 1000, 3)
        for b in grid.beats
        if start_ms <= b.time_ms < end_ms
    )


@router.get("", responses=errors(*OWNED))
def list_generations(
    project: OwnedProject, session: SessionDep, services: ServicesDep
) -> list[GenerationOut]:
    """The project's generations that are not deleted, newest first."""
    adopt_generated(session, services, project.id)
    adopted = adopted_ids(session, project.id)
    return [
        generation_out(g, g.generation_id in adopted) for g in generations_of(session, project.id)
    ]


def owned_generation(session: Session, project: Project, generation_id: str) -> VideoGeneration:
    """A generation of the project that is not deleted; 404 otherwise."""
    g = generation_of(session, generation_id)
    if g is None or g.project_id != project.id or g.deleted_at is not None:
        raise not_found(f"generation {generation_id}")
    return g


@router.get("/{generation_id}", responses=errors(*OWNED))
def get_generation(
    generation_id: str, project: OwnedProject, session: SessionDep, services: ServicesDep
) -> GenerationOut:
    """Status, progress, the clip's URLs and the provider's metadata, or the error."""
    g = owned_generation(session, project, generation_id)
    if g.status == "completed":
        adopt_generated(session, services, project.id)
    return generation_out(g, session.get(MediaAssetRow, generation_id) is not None)


@router.delete(
    "/{generation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(*OWNED, *EMITS)
)
async def delete_generation(
    generation_id: str,
    project: OwnedProject,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
) -> Response:
    """Remove a generation: its record stays (marked deleted), its clip leaves the media."""
    await run_in_threadpool(owned_generation, session, project, generation_id)
    await run_in_threadpool(session.close)
    deleted = VideoGenerationDeleted(
        generation_id=generation_id, project_id=project.id, requested_by=user.id
    )
    # Projected before the media row goes, so no read in between adopts the clip again.
    await emit(services, deleted, trace_id=trace_id)
    await run_in_threadpool(_drop_asset, session, services.store, generation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _drop_asset(session: Session, store: ObjectStore, generation_id: str) -> None:
    row = session.get(MediaAssetRow, generation_id)
    if row is not None and row.origin == "generated":
        remove_asset(session, store, row)


@router.get(
    "/{generation_id}/events", response_class=EventSourceResponse, responses=errors(*OWNED, 429)
)
async def generation_events(
    generation_id: str,
    project: OwnedProject,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> EventSourceResponse:
    """Server-sent events `{status, progress, message, timestamp}` until the generation ends."""
    await run_in_threadpool(owned_generation, session, project, generation_id)
    await run_in_threadpool(session.close)
    services.streams.take_or_refuse(user.id)  # the same per-user cap as render streams
    user_id = user.id
    return ClosingEventSource(
        _progress(services, generation_id), lambda: services.streams.give_back(user_id), ping=15
    )


async def _progress(services: Services, generation_id: str) -> AsyncIterator[ServerSentEvent]:
    """One event per change of the record, the last one when it ends."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.sse_max_lifetime_s
    last: tuple[object, ...] | None = None
    sent = 0
    while loop.time() < deadline:
        g = await run_in_threadpool(_read, services, generation_id)
        if g is None:
            return
        now = (g.status, g.progress, g.progress_message, g.error_msg)
        if now != last:
            last, sent = now, sent + 1
            event = ProgressEvent(
                status=g.status,
                progress=g.progress,
                message=g.error_msg or g.progress_message,
                timestamp=g.updated_at or g.created_at,
            )
            yield ServerSentEvent(data=event.model_dump_json(), event="progress", id=str(sent))
        if g.status in ENDED:
            return
        await asyncio.sleep(STREAM_POLL_S)
    data = {"reason": "max_lifetime", "message": "Reconnect to go on following the generation."}
    yield ServerSentEvent(data=json.dumps(data), event="reconnect", id=str(sent))


def _read(services: Services, generation_id: str) -> VideoGeneration | None:
    with Session(services.engine, expire_on_commit=False) as session:
        return generation_of(session, generation_id)
