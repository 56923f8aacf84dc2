"""Which segments of a render show the placeholder clip instead of their file, and why, in
words a user reads. Derived from the clip-task fold alone (pure), so a replay gives the same
list as the live projector."""

from __future__ import annotations

import re
from typing import Any

from domain.clip_stats import JobClipState, TaskState, TaskStatus
from events.payloads.common import FailureReason, SourceType

# What happened to the file, completing "<file> ...".
_WHY = {
    FailureReason.DECODE_ERROR: "could not be decoded",
    FailureReason.NOT_FOUND: "was not found",
    FailureReason.TIMEOUT: "took too long to read",
    FailureReason.CDN_ERROR: "could not be downloaded",
    FailureReason.NO_CANDIDATES: "had no copy left to read",
    FailureReason.CANCELLED: "was not read before the render was cancelled",
    FailureReason.WORKER_CRASH: "made the worker reading it crash",
    FailureReason.DISK_FULL: "could not be cut: the disk is full",
    FailureReason.PATH_OUTSIDE_ROOT: "lies outside the folders the render may read",
    FailureReason.SOURCE_REFUSED: "was refused as a source",
    FailureReason.INTERNAL: "hit an internal error",
}


def placeholder_reason(task: TaskState) -> str:
    """The reason code of the last source that gave up before the placeholder was used."""
    # The chain runs remote → local → placeholder; the stored map's key order is not kept.
    for source in (SourceType.LOCAL, SourceType.REMOTE):
        if source.value in task.fallback_reasons:
            return task.fallback_reasons[source.value]
    return task.error_code or FailureReason.INTERNAL.value


def _clock(ms: int | None) -> str:
    if ms is None:
        return "?"
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest / 1000:06.3f}"


def _innermost(error: str) -> str:
    """The decoder's own words in a worker's error, without its codes and stored file names:
    'decode_error: asset-1.mp4: not a readable video (Invalid data …)' → 'Invalid data …'."""
    found = re.search(r"\(([^()]*)\)\)*$", error)
    if found:
        return found.group(1)
    return error.rsplit(": ", 1)[-1]


def placeholder_message(task: TaskState) -> str:
    """One sentence: which segment, which file and why it shows the placeholder."""
    reason = placeholder_reason(task)
    try:
        why = _WHY[FailureReason(reason)]
    except ValueError:
        why = f"failed ({reason})"
    file = task.file_name or task.video_id or "its file"
    detail = f" ({_innermost(task.error_message)})" if task.error_message else ""
    return (
        f"segment {task.segment_index} ({_clock(task.timeline_in_ms)}–"
        f"{_clock(task.timeline_out_ms)}) shows a black placeholder: {file} {why}{detail}"
    )


def placeholders(state: JobClipState) -> list[dict[str, Any]]:
    """The render's placeholder segments in timeline order, as the job shows them."""
    used = [t for t in state.tasks.values() if t.status is TaskStatus.FALLBACK_PLACEHOLDER]
    used.sort(key=lambda t: (t.segment_index is None, t.segment_index or 0, t.task_id))
    return [
        {
            "segment_index": t.segment_index,
            "start_ms": t.timeline_in_ms,
            "end_ms": t.timeline_out_ms,
            "media_id": t.video_id,
            "file_name": t.file_name,
            "reason": placeholder_reason(t),
            "message": placeholder_message(t),
        }
        for t in used
    ]
