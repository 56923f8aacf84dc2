"""What a render that could not be joined reports: a sentence and a code per cause."""

from __future__ import annotations

from pathlib import Path

from agents.disk_full import DISK_FULL, disk_full_error, met_full_disk
from domain.confinement import PATH_OUTSIDE_ROOT, PathOutsideRoot
from events.payloads import RenderFailed
from storage.object_store import StorageError, StorageUnavailable


def join_failure(job: str, exc: BaseException, artifacts: Path) -> RenderFailed:
    """The RenderFailed of a join that raised: a full disk or an unreachable store says so
    and what to do."""
    if met_full_disk(exc):
        return RenderFailed(
            render_job_id=job, error=disk_full_error(artifacts), error_code=DISK_FULL
        )
    if isinstance(exc, PathOutsideRoot):
        return RenderFailed(render_job_id=job, error=str(exc), error_code=PATH_OUTSIDE_ROOT)
    if isinstance(exc, StorageUnavailable):
        return RenderFailed(
            render_job_id=job,
            error=f"the object store did not answer, so the render could not be kept: {exc}",
            error_code="storage_unavailable",
        )
    if isinstance(exc, StorageError):
        return RenderFailed(render_job_id=job, error=str(exc), error_code="storage_error")
    return RenderFailed(
        render_job_id=job, error=f"assembly failed: {exc}", error_code="assembly_failed"
    )
