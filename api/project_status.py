"""A project's status, derived from its audio analysis and its latest render (never stored)."""

from __future__ import annotations

from api.schemas import ProjectStatus

_RENDERING = frozenset({"queued", "running", "assembling"})


def project_status(
    has_audio: bool, analysis_status: str | None, latest_render_status: str | None
) -> ProjectStatus:
    """A project's place on draft → analyzing → ready → rendering → complete | error."""
    if latest_render_status in _RENDERING:
        return "rendering"
    if latest_render_status == "complete":
        return "complete"
    if latest_render_status == "failed":
        return "error"
    if not has_audio:
        return "draft"
    if analysis_status == "failed":
        return "error"
    if analysis_status == "completed":
        return "ready"
    # Uploaded and not yet analysed. A cancelled render leaves the status to the analysis.
    return "analyzing"
