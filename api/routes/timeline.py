"""Timeline: generate the EDL from beats and settings, read it, replace it with an edited one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status

from api.deps import OwnedProject, ServicesDep, SessionDep
from api.errors import not_found, unprocessable_edl
from api.generated_media import adopt_generated
from api.models import Timeline
from api.openapi_errors import BODY, CAPPED, OWNED, errors
from api.schemas import TimelineOut
from api.timelines import current_timeline, cutting_of, generate_timeline, replace_timeline
from engine.errors import EdlValidationError

router = APIRouter(prefix="/api/v1/projects/{project_id}/timeline", tags=["timeline"])


def timeline_out(session: SessionDep, project: OwnedProject, timeline: Timeline) -> TimelineOut:
    """A stored timeline as the API shows it."""
    return TimelineOut(
        project_id=timeline.project_id,
        edl_hash=timeline.edl_hash,
        origin="edited" if timeline.origin == "edited" else "generated",
        segment_count=len(timeline.edl["segments"]),
        cutting=cutting_of(session, project, timeline),
        total_duration_ms=timeline.edl["total_duration_ms"],
        updated_at=timeline.updated_at,
        edl=timeline.edl,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=errors(*OWNED, *CAPPED, 409, store=True)
)
def generate(project: OwnedProject, session: SessionDep, services: ServicesDep) -> TimelineOut:
    """Cut the music every `beats_per_cut` beats and lay the media over the cuts."""
    adopt_generated(session, services, project.id)
    try:
        timeline = generate_timeline(
            session, services.store, project, services.settings.max_segments
        )
        return timeline_out(session, project, timeline)
    except EdlValidationError as exc:
        raise unprocessable_edl(exc) from None


@router.get("", responses=errors(*OWNED))
def get_timeline(project: OwnedProject, session: SessionDep) -> TimelineOut:
    """The project's current timeline."""
    timeline = current_timeline(session, project)
    if timeline is None:
        raise not_found(f"timeline of project {project.id} (generate one with POST)")
    return timeline_out(session, project, timeline)


@router.put("", responses=errors(*OWNED, *BODY, 409, store=True))
def replace(
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    edl: Annotated[
        dict[str, Any], Body(description="A complete EDL, as GET returns it under `edl`")
    ],
) -> TimelineOut:
    """Replace the timeline with an edited EDL; 422 names each broken segment and field.

    A segment names a generated clip by its generation's id (its media asset's id)."""
    adopt_generated(session, services, project.id)
    try:
        timeline = replace_timeline(
            session, services.store, project, edl, services.settings.max_segments
        )
        return timeline_out(session, project, timeline)
    except EdlValidationError as exc:
        raise unprocessable_edl(exc) from None
