"""A render that met a full disk: which renders did, and the sentence their RenderFailed says."""

from __future__ import annotations

import shutil
from pathlib import Path

from domain.clip_stats import JobClipState
from engine.errors import is_disk_full
from events.payloads.common import FailureReason

DISK_FULL = FailureReason.DISK_FULL.value


def size_text(size: int) -> str:
    """A byte count as people read it: 1.5 GiB, 30 MiB, 12 KiB."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1024:.0f} KiB"


def clips_met_full_disk(clips: JobClipState) -> bool:
    """True if a clip task of the render failed because the disk was full."""
    return any(t.error_code == DISK_FULL for t in clips.tasks.values())


def met_full_disk(exc: BaseException) -> bool:
    """True if an assembly error was a full disk."""
    return is_disk_full(exc)


def disk_full_sentence(free: int | None, total: int | None, artifacts: Path) -> str:
    """What a user reads when a render ended on a full disk, and what to do about it."""
    usage = "" if free is None or total is None else f" ({size_text(free)} free of "
    usage += "" if free is None or total is None else f"{size_text(total)})"
    return (
        f"the artifacts disk is full{usage} at {artifacts}; free space (beatstitch gc removes "
        "old renders and temporary files) or raise the volume, then render again"
    )


def disk_full_error(artifacts: Path) -> str:
    """disk_full_sentence with the disk's current free and total space."""
    try:
        usage = shutil.disk_usage(artifacts)
    except OSError:  # the folder itself could not be made
        return disk_full_sentence(None, None, artifacts)
    return disk_full_sentence(usage.free, usage.total, artifacts)
