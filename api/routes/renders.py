"""Renders: request one (202), list, get, cancel, follow its progress (SSE), download (Range)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, HTTPException, Response, status
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from api.clip_views import clip_out
from api.clock import new_id
from api.deps import (
    BearerCredentials,
    CurrentUser,
    OwnedWorkspace,
    ServicesDep,
    SessionDep,
    TraceId,
    current_user,
    owned_workspace,
)
from api.errors import conflict, not_found, unprocessable_edl
from api.generated_media import adopt_generated
from api.models import Project, User, Workspace
from api.openapi_errors import BODY, CAPPED, EMITS, OWNED, errors
from api.progress_stream import ProgressStream
from api.read_models import (
    RenderJob,
    clip_tasks_of,
    proxies_of,
    render_job,
    render_jobs_of,
    workspace_render_jobs,
)
from api.read_your_writes import emit
from api.render_posters import NoPoster, ensure_poster
from api.schemas import (
    ClipOut,
    PlaceholderOut,
    RenderAccepted,
    RenderCreate,
    RenderJobOut,
    RenderProvenance,
)
from api.served_objects import REDIRECT, StreamThrough, serve_object
from api.services import Services
from api.storage import served_file
from api.stored_files import media_file, music_file
from api.stream_slots import ClosingEventSource
from api.timelines import (
    check_segment_count,
    current_timeline,
    edl_of,
    engine_asset,
    generate_timeline,
    media_rows,
    ready_audio,
)
from api.upload_proxies import made_music, made_proxies
from domain.render_job import JobStatus
from domain.render_request import audio_source, render_requested, used_asset_ids
from engine.errors import EdlValidationError
from events.kafka_io import EventTooLarge
from events.payloads import RenderCancelled, RenderRequested

router = APIRouter(prefix="/api/v1/video/workspaces/{workspace_id}/render", tags=["renders"])


def job_urls(workspace_id: str, job_id: str) -> tuple[str, str, str]:
    """Status, events and download URLs of a job."""
    base = f"/api/v1/video/workspaces/{workspace_id}/render/jobs/{job_id}"
    return base, f"{base}/events", f"{base}/download"


def provenance_of(job: RenderJob, download: str | None) -> RenderProvenance:
    """Which engine and workers made a job's output, its settings and its output URLs."""
    return RenderProvenance(
        engine_version=job.engine_versions,
        clip_workers=list(job.clip_worker_ids or []),
        assembling_worker=job.assembler_worker_id,
        render_settings=job.render_settings,
        output_urls=[u for u in (download, job.output_url) if u],
    )


def job_out(job: RenderJob) -> RenderJobOut:
    """A render job row as the API shows it."""
    workspace = job.workspace_id or ""
    _, _, download = job_urls(workspace, job.id)
    render = (job.metrics or {}).get("render", {})
    complete = job.status == "complete"
    return RenderJobOut(
        job_id=job.id,
        workspace_id=job.workspace_id,
        project_id=job.project_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.progress_message,
        edl_hash=job.edl_hash,
        video_urls=[download] if complete else [],
        file_size=job.file_size,
        duration_ms=job.duration_ms,
        clip_stats=render.get("clip_stats"),
        placeholders=[PlaceholderOut(**p) for p in render.get("placeholders", [])],
        provenance=provenance_of(job, download if complete else None),
        error_message=job.error_message,
        error_code=job.error_code,
        trace_id=job.trace_id,
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.completed_at,
        updated_at=job.updated_at,
    )


def build_request(
    services: Services,
    session: Session,
    workspace: Workspace,
    project: Project,
    user: User,
    kind: str,
    job_id: str,
) -> RenderRequested:
    """Snapshot the project's timeline, media and music into a RenderRequested."""
    adopt_generated(session, services, project.id)
    track, grid = ready_audio(session, services.store, project)
    limit = services.settings.max_segments
    timeline = current_timeline(session, project) or generate_timeline(
        session, services.store, project, limit
    )
    edl = edl_of(timeline)
    # A timeline stored under a higher limit is refused too: the request must fit a message.
    check_segment_count(len(edl.segments), limit)
    if edl.audio.checksum != track.checksum:
        raise conflict(
            "The edited timeline was cut to music the project no longer has; generate a new "
            f"one with POST /api/v1/projects/{project.id}/timeline."
        )
    rows = {r.id: r for r in media_rows(session, project.id)}
    used = used_asset_ids(edl)
    gone = [a for a in used if a not in rows]
    if gone:
        raise conflict(
            f"The timeline uses media that was deleted ({', '.join(gone)}); edit it or "
            f"generate a new one with POST /api/v1/projects/{project.id}/timeline."
        )
    # Proxies made so far; one not made yet is absent and the render reads the original.
    proxies = proxies_of(session, [*used, track.id])
    music = music_file(services.store, track)
    return render_requested(
        render_job_id=job_id,
        workspace_id=workspace.id,
        project_id=project.id,
        requested_by=user.id,
        kind=kind,
        edl=edl,
        assets=[engine_asset(rows[a]) for a in used],
        file_names={a: rows[a].filename for a in used},
        files={a: media_file(services.store, rows[a]) for a in used},
        proxies={a: made_proxies(proxies[a]) for a in used},
        audio=audio_source(
            track.id, track.checksum, grid.duration_ms, music, made_music(proxies[track.id])
        ),
    )


@router.post(
    "/{project_id}",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(*OWNED, *BODY, 409, *EMITS, store=True),
)
async def create_render(
    project_id: str,
    workspace: OwnedWorkspace,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
    body: Annotated[RenderCreate | None, Body()] = None,
) -> RenderAccepted:
    """Queue a render of the project's timeline (generated first if there is none)."""
    job_id = new_id("render")
    kind = (body or RenderCreate()).kind
    try:
        request = await run_in_threadpool(
            _request_of, services, session, workspace, user, project_id, kind, job_id
        )
        # No connection is held while the projector folds the request.
        await run_in_threadpool(session.close)
        produced = await emit(services, request, trace_id=trace_id)
    except EdlValidationError as exc:
        raise unprocessable_edl(exc) from None
    except EventTooLarge as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    status_url, events_url, _ = job_urls(workspace.id, job_id)
    return RenderAccepted(
        job_id=job_id,
        task_id=produced.envelope.event_id,
        status="queued",
        status_url=status_url,
        events_url=events_url,
    )


def _request_of(
    services: Services,
    session: Session,
    workspace: Workspace,
    user: User,
    project_id: str,
    kind: str,
    job_id: str,
) -> RenderRequested:
    project = session.get(Project, project_id)
    if project is None or project.workspace_id != workspace.id:
        raise not_found(f"project {project_id}")
    return build_request(services, session, workspace, project, user, kind, job_id)


@router.get("/jobs", responses=errors(*OWNED))
def list_jobs(
    workspace: OwnedWorkspace, session: SessionDep, project_id: str | None = None
) -> list[RenderJobOut]:
    """The workspace's renders (optionally of one project), newest first."""
    if project_id is not None:
        jobs = [j for j in render_jobs_of(session, project_id) if j.workspace_id == workspace.id]
    else:
        jobs = workspace_render_jobs(session, workspace.id)
    return [job_out(j) for j in jobs]


def owned_job(session: Session, workspace: Workspace, job_id: str) -> RenderJob:
    """A job of the workspace; 404 for a missing one and for another workspace's alike."""
    job = render_job(session, job_id)
    if job is None or job.workspace_id != workspace.id:
        raise not_found(f"render job {job_id}")
    return job


@router.get("/jobs/{job_id}", responses=errors(*OWNED))
def get_job(job_id: str, workspace: OwnedWorkspace, session: SessionDep) -> RenderJobOut:
    """Status, progress, clip_stats, output URLs or the error of a render."""
    return job_out(owned_job(session, workspace, job_id))


@router.post(
    "/jobs/{job_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(*OWNED, *CAPPED, 409, *EMITS),
)
async def cancel_job(
    job_id: str,
    workspace: OwnedWorkspace,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
) -> RenderJobOut:
    """Cancel a render: its queued clips do not run and its temporary clips are removed."""
    job = await run_in_threadpool(owned_job, session, workspace, job_id)
    if JobStatus(job.status).terminal:
        raise conflict(f"Render {job_id} is already {job.status}; there is nothing to cancel.")
    await run_in_threadpool(session.close)
    cancel = RenderCancelled(render_job_id=job_id, requested_by=user.id, reason="cancelled by user")
    await emit(
        services, cancel, trace_id=job.trace_id or trace_id, causation_id=job.request_event_id
    )
    return job_out(await run_in_threadpool(owned_job, session, workspace, job_id))


@router.get(
    "/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    responses={
        204: {"description": "The Last-Event-ID given is the render's end: nothing is left."},
        **errors(*OWNED, 400, 429),
    },
)
async def job_events(
    workspace_id: str,
    job_id: str,
    credentials: BearerCredentials,
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    """Server-sent events `{status, progress, message, timestamp}` until the render ends.

    Each event has an id; after a `reconnect` event (the stream's lifetime is over) or a
    dropped connection, send it back as Last-Event-ID to resume after it."""
    user_id = await run_in_threadpool(_follower, services, credentials, workspace_id, job_id)
    seen = _event_id(last_event_id)
    services.streams.take_or_refuse(user_id)
    try:
        stream = await ProgressStream.open(services, job_id, seen)
    except BaseException:
        services.streams.give_back(user_id)
        raise
    if stream is None:
        services.streams.give_back(user_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    def ended() -> None:
        stream.close()
        services.streams.give_back(user_id)

    return ClosingEventSource(stream.events(), ended, ping=15)


def _follower(
    services: Services,
    credentials: HTTPAuthorizationCredentials | None,
    workspace_id: str,
    job_id: str,
) -> str:
    """The id of the caller, who may follow the job (401 or 404 otherwise).

    One session in one worker thread, closed before returning: a connection held across
    thread hops (as the dependencies' session is) lets many streams opened at once take every
    thread and every pooled connection, each waiting for the other."""
    with Session(services.engine, expire_on_commit=False) as session:
        user = current_user(session, credentials)
        owned_job(session, owned_workspace(workspace_id, user, session), job_id)
        return user.id


def _event_id(given: str | None) -> int | None:
    if given is None or not given.strip():
        return None
    try:
        return int(given)
    except ValueError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"Last-Event-ID {given!r} is not an id this stream sends (an integer); "
            "reconnect without it to start from the render's current state.",
        ) from None


@router.get("/jobs/{job_id}/clips", responses=errors(*OWNED))
def job_clips(job_id: str, workspace: OwnedWorkspace, session: SessionDep) -> list[ClipOut]:
    """The render's clip tasks in timeline order, each with its state (queued, running,
    done, fell back, placeholder, failed), source, worker and times."""
    owned_job(session, workspace, job_id)
    return [clip_out(task) for task in clip_tasks_of(session, job_id)]


@router.get(
    "/jobs/{job_id}/poster",
    response_class=FileResponse,
    responses={**REDIRECT, **errors(*OWNED, 409, store=True)},
)
async def poster(
    job_id: str,
    workspace: OwnedWorkspace,
    session: SessionDep,
    services: ServicesDep,
    stream: StreamThrough = False,
) -> Response:
    """A JPEG of a completed render's video (made on the first request, then kept beside
    the video); from an S3 store, a 307 to a short-lived URL of it."""
    job = owned_job(session, workspace, job_id)
    if job.status != "complete" or not (job.output_key or job.output_path):
        raise conflict(f"Render {job_id} is {job.status}; it has no picture yet.")
    try:
        key = await run_in_threadpool(ensure_poster, services.store, services.settings, job)
    except NoPoster as exc:
        raise conflict(f"Render {job_id} has no picture: {exc}.") from None
    return serve_object(
        services.store,
        key,
        fallback=None,
        what=f"The picture of render {job_id}",
        media_type="image/jpeg",
        ttl_s=services.download_url_ttl_s,
        redirect=not stream,
    )


@router.get(
    "/jobs/{job_id}/download",
    response_class=FileResponse,
    responses={**REDIRECT, **errors(*OWNED, 409, store=True)},
)
def download(
    job_id: str,
    workspace: OwnedWorkspace,
    session: SessionDep,
    services: ServicesDep,
    stream: StreamThrough = False,
) -> Response:
    """The MP4 of a completed render (HTTP Range requests supported); from an S3 store, a
    307 to a short-lived URL of it."""
    job = owned_job(session, workspace, job_id)
    if job.status != "complete" or not (job.output_key or job.output_path):
        raise conflict(f"Render {job_id} is {job.status}; there is no video to download yet.")
    # A path outside our folders (an output event naming one) is never served.
    path = served_file(services.settings, job.output_path) if job.output_path else None
    return serve_object(
        services.store,
        job.output_key,
        fallback=path,
        what=f"The video of render {job_id} (it was removed)",
        media_type="video/mp4",
        filename=f"{job_id}.mp4",
        ttl_s=services.download_url_ttl_s,
        redirect=not stream,
    )
