"""How big a photo, clip or song may be, and how much one user may upload.

A file can be small and still a bomb: a PNG of a few KB whose header claims 64000x64000
pixels makes a decoder allocate 12 GB, and a song hours long makes the beat analysis read
all of it. Photos are judged from their header before anything decodes them;
clips and songs from the probe, which reads headers only; the project's upload count before a
file is saved, the account's bytes once its size is known. Each refusal is a sentence naming
the file, what it is and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import imagesize
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import AudioTrack, MediaAssetRow, Project
from api.settings import ApiSettings
from api.storage import size_text
from engine.probe import ProbeResult


@dataclass(frozen=True)
class Refusal:
    """Why an upload is refused: the HTTP status, a machine reason and a sentence."""

    status: int
    reason: str
    message: str


def image_refusal(path: Path, filename: str, settings: ApiSettings) -> Refusal | None:
    """A photo over the pixel cap, judged from its header alone (nothing is decoded)."""
    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        return None  # not a header imagesize knows: the probe judges the file
    if width <= 0 or height <= 0 or width * height <= settings.max_image_pixels:
        return None
    return Refusal(
        422,
        "image_too_large",
        f"{filename} is {width}x{height} pixels ({_mp(width * height)}); photos may have "
        f"at most {_mp(settings.max_image_pixels)}.",
    )


def probed_refusal(info: ProbeResult, filename: str, settings: ApiSettings) -> Refusal | None:
    """A clip larger or longer, or a song longer, than allowed (from the probe's headers)."""
    seconds = (info.duration_ms or 0) / 1000
    width, height = info.width or 0, info.height or 0
    if info.kind == "video":
        if width > settings.max_video_width or height > settings.max_video_height:
            return Refusal(
                422,
                "video_too_large",
                f"{filename} is {width}x{height}; clips may be at most "
                f"{settings.max_video_width}x{settings.max_video_height}.",
            )
        if seconds > settings.max_video_s:
            return Refusal(
                422,
                "video_too_long",
                f"{filename} lasts {_duration(seconds)}; clips may last at most "
                f"{_duration(settings.max_video_s)}.",
            )
    if info.kind == "audio" and seconds > settings.max_audio_s:
        return Refusal(
            422,
            "audio_too_long",
            f"{filename} lasts {_duration(seconds)}; a song may last at most "
            f"{_duration(settings.max_audio_s)}.",
        )
    return None


def count_refusal(session: Session, project: Project, settings: ApiSettings) -> Refusal | None:
    """The project holds as many photos and clips as a project may."""
    uploads = session.scalar(
        select(func.count())
        .select_from(MediaAssetRow)
        .where(MediaAssetRow.project_id == project.id)
    )
    if (uploads or 0) < settings.max_uploads_per_project:
        return None
    return Refusal(
        409,
        "too_many_uploads",
        f"The project is full: a project holds at most {settings.max_uploads_per_project} photos "
        "and clips; remove some before uploading more.",
    )


def bytes_refusal(
    session: Session, project: Project, incoming_bytes: int, settings: ApiSettings
) -> Refusal | None:
    """The owner's stored uploads, with `incoming_bytes` more, over the account's quota."""
    owned = select(Project.id).where(Project.owner_id == project.owner_id)
    stored = 0
    for table in (MediaAssetRow, AudioTrack):
        total = session.scalar(
            select(func.coalesce(func.sum(table.size_bytes), 0)).where(table.project_id.in_(owned))
        )
        stored += int(total or 0)
    if stored + incoming_bytes <= settings.max_bytes_per_user:
        return None
    return Refusal(
        413,
        "quota_exceeded",
        f"Your uploads take {size_text(stored)} and this file {size_text(incoming_bytes)}; "
        "an account may store at most "
        f"{size_text(settings.max_bytes_per_user)}. Remove old projects or media first.",
    )


def _mp(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.1f} MP"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
