"""Projects: create, list, get, update settings, delete."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.clock import new_id, now
from api.deps import CurrentUser, OwnedProject, ServicesDep, SessionDep, TraceId, first_workspace
from api.errors import not_found, unprocessable
from api.models import AudioTrack, MediaAssetRow, Project, Timeline, Workspace
from api.openapi_errors import BODY, OWNED, TOKEN, errors
from api.openapi_links import created_project
from api.project_status import project_status
from api.read_models import RenderJob, analysis_of, audio_track_of, render_jobs_of
from api.routes.renders import job_urls
from api.schemas import LatestRender, ProjectCreate, ProjectOut, ProjectUpdate
from api.storage import project_dir
from api.stored_files import delete_objects
from api.timelines import drop_generated_timeline
from api.upload_proxies import request_resized_proxies
from engine.render_settings import RenderSettings

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


def project_out(session: Session, project: Project) -> ProjectOut:
    """A project as the API shows it, status included."""
    track = audio_track_of(session, project)
    analysis = analysis_of(session, track.id) if track else None
    media_count = session.scalar(
        select(func.count())
        .select_from(MediaAssetRow)
        .where(MediaAssetRow.project_id == project.id)
    )
    newest = next(iter(render_jobs_of(session, project.id, limit=1)), None)
    return ProjectOut(
        id=project.id,
        workspace_id=project.workspace_id,
        name=project.name,
        status=project_status(
            track is not None,
            analysis.status if analysis else None,
            newest.status if newest else None,
        ),
        settings=RenderSettings.model_validate(project.settings),
        media_count=media_count or 0,
        audio_track_id=track.id if track else None,
        latest_render=latest_render(project.workspace_id, newest) if newest else None,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def latest_render(workspace_id: str, job: RenderJob) -> LatestRender:
    """A project's newest render as its card shows it, the poster once it is complete."""
    status_url, _, _ = job_urls(workspace_id, job.id)
    done = job.status == "complete"
    return LatestRender(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        status_url=status_url,
        poster_url=f"{status_url}/poster" if done else None,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**created_project(201), **errors(*OWNED, *BODY)},
)
def create_project(body: ProjectCreate, user: CurrentUser, session: SessionDep) -> ProjectOut:
    """Create a project in the given workspace (default: the caller's first)."""
    if body.workspace_id is None:
        workspace = first_workspace(session, user)
    else:
        found = session.get(Workspace, body.workspace_id)
        if found is None or found.owner_id != user.id:
            raise not_found(f"workspace {body.workspace_id}")
        workspace = found
    at = now()
    project = Project(
        id=new_id("proj"),
        workspace_id=workspace.id,
        owner_id=user.id,
        name=body.name,
        settings=body.settings.model_dump(mode="json"),
        created_at=at,
        updated_at=at,
    )
    session.add(project)
    session.commit()
    return project_out(session, project)


@router.get("", responses=errors(*TOKEN))
def list_projects(user: CurrentUser, session: SessionDep) -> list[ProjectOut]:
    """The caller's projects, newest first."""
    rows = session.scalars(
        select(Project).where(Project.owner_id == user.id).order_by(Project.created_at.desc())
    )
    return [project_out(session, p) for p in rows]


@router.get("/{project_id}", responses=errors(*OWNED))
def get_project(project: OwnedProject, session: SessionDep) -> ProjectOut:
    """One project."""
    return project_out(session, project)


@router.patch("/{project_id}", responses=errors(*OWNED, *BODY))
async def update_project(
    body: ProjectUpdate,
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
) -> ProjectOut:
    """Rename a project or change its settings (merged, then validated as a whole); a new
    output size asks for the media's proxies at that size."""
    if body.name is not None:
        project.name = body.name
    resized = False
    if body.settings is not None:
        merged = _deep_merge(project.settings, body.settings)
        try:
            settings = RenderSettings.model_validate(merged)
        except ValidationError as exc:
            raise unprocessable(exc, "body", "settings") from None
        if settings.model_dump(mode="json") != project.settings:
            before = RenderSettings.model_validate(project.settings).output
            resized = (before.width, before.height) != (
                settings.output.width,
                settings.output.height,
            )
            project.settings = settings.model_dump(mode="json")
            # A generated timeline no longer matches the settings; an edited one is the user's.
            drop_generated_timeline(session, project.id)
    project.updated_at = now()
    session.commit()
    if resized:
        await request_resized_proxies(services, session, project, trace_id)
    return project_out(session, project)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(*OWNED))
def delete_project(project: OwnedProject, session: SessionDep, services: ServicesDep) -> Response:
    """Delete a project, its uploads and its timeline (its renders stay in the log)."""
    keys = _stored_keys(session, project.id)
    for table in (Timeline, MediaAssetRow, AudioTrack):
        session.execute(delete(table).where(table.project_id == project.id))
    session.delete(project)
    session.commit()
    shutil.rmtree(project_dir(services.settings, project.id), ignore_errors=True)
    delete_objects(services.store, keys)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _stored_keys(session: SessionDep, project_id: str) -> list[str]:
    """The keys of the project's files in the store."""
    media = session.execute(
        select(MediaAssetRow.storage_key, MediaAssetRow.thumbnail_key).where(
            MediaAssetRow.project_id == project_id
        )
    )
    audio = session.scalars(
        select(AudioTrack.storage_key).where(AudioTrack.project_id == project_id)
    )
    return [k for k in (*(k for pair in media for k in pair), *audio) if k]


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
