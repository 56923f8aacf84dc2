"""A project's status, derived from its audio analysis and its latest render (never stored)."""

from __future__ import annotations

from api.schemas import ProjectStatus
from domain.render_job import JobStatus


def project_status(
    has_audio: bool, analysis_status: str | None, latest_render_status: str | None
) -> ProjectStatus:
    """A project's place on draft → analyzing → ready → rendering → complete | error."""
    render = None if latest_render_status is None else JobStatus(latest_render_status)
    if render is not None and render.rendering:
        return "rendering"
    if render is JobStatus.COMPLETE:
        return "complete"
    if render is JobStatus.FAILED:
        return "error"
    if not has_audio:
        return "draft"
    if analysis_status == "failed":
        return "error"
    if analysis_status == "completed":
        return "ready"
    # Uploaded and not yet analysed. A cancelled render leaves the status to the analysis.
    return "analyzing"
