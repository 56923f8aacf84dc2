"""Where uploads live, and saving one: streamed, size-limited, checksummed, sniffed."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filetype
from fastapi import UploadFile

from api.settings import ApiSettings
from domain.confinement import PathOutsideRoot, confine

UploadKind = Literal["image", "video", "audio"]

# MIME type sniffed from the first bytes → (what it is, the extension we store it under).
ACCEPTED: dict[str, tuple[UploadKind, str]] = {
    "image/jpeg": ("image", ".jpg"),
    "image/png": ("image", ".png"),
    "image/webp": ("image", ".webp"),
    "video/mp4": ("video", ".mp4"),
    "video/x-m4v": ("video", ".m4v"),
    "video/quicktime": ("video", ".mov"),
    "video/x-matroska": ("video", ".mkv"),
    "video/webm": ("video", ".webm"),
    "audio/x-wav": ("audio", ".wav"),
    "audio/mpeg": ("audio", ".mp3"),
    "audio/x-flac": ("audio", ".flac"),
    "audio/ogg": ("audio", ".ogg"),
    "audio/mp4": ("audio", ".m4a"),
    "audio/aac": ("audio", ".aac"),
}
_CHUNK = 1024 * 1024
_SNIFF_BYTES = 8192


class UploadRejected(ValueError):
    """The upload is not acceptable; `status` is the HTTP answer, the message the reason."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class SavedUpload:
    """An upload written to a temporary file beside its final place."""

    path: Path
    size_bytes: int
    checksum: str
    content_type: str
    kind: UploadKind
    extension: str
    filename: str


def size_text(size: int) -> str:
    """A byte count as people read it: 512 MiB, 30 KiB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.0f} KiB"


def media_root(settings: ApiSettings) -> Path:
    """The absolute upload root (workers read the paths the API stores)."""
    return Path(settings.media_dir).resolve()


def served_file(settings: ApiSettings, path: str | Path) -> Path | None:
    """The file to serve for a path from the read model (which events wrote), resolved, or
    None when it is missing or lies outside the media and artifacts folders."""
    try:
        resolved = confine(path, (media_root(settings), Path(settings.artifacts_dir).resolve()))
    except PathOutsideRoot:
        return None
    return resolved if resolved.is_file() else None


def project_dir(settings: ApiSettings, project_id: str) -> Path:
    """A project's folder of uploads, thumbnails and beat grids."""
    return media_root(settings) / "projects" / project_id


def sniff(head: bytes) -> tuple[str, UploadKind, str] | None:
    """MIME type, kind and extension from a file's first bytes; None if not accepted."""
    guess = filetype.guess(head)
    if guess is None or guess.mime not in ACCEPTED:
        return None
    kind, extension = ACCEPTED[guess.mime]
    return guess.mime, kind, extension


async def save_upload(upload: UploadFile, directory: Path, max_bytes: int) -> SavedUpload:
    """Stream an upload to a temporary file, hashing and sniffing it; nothing is left on error."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".incoming-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with tmp.open("wb") as out:
            while chunk := await upload.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(
                        413,
                        "too_large",
                        f"{upload.filename} is larger than the {size_text(max_bytes)} "
                        "upload limit.",
                    )
                if len(head) < _SNIFF_BYTES:
                    head += chunk[: _SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected(422, "empty", f"{upload.filename} is empty.")
        sniffed = sniff(head)
        if sniffed is None:
            raise UploadRejected(
                415,
                "unsupported_type",
                f"{upload.filename} is not a supported photo, video or audio file (by its "
                "content; the name does not matter). Accepted: JPEG, PNG, WebP, MP4, MOV, "
                "MKV, WebM, WAV, MP3, FLAC, Ogg, M4A.",
            )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    mime, kind, extension = sniffed
    return SavedUpload(
        tmp, size, digest.hexdigest(), mime, kind, extension, upload.filename or "upload"
    )
