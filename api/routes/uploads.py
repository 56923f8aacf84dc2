"""What the media and audio routes share: saving, probing and rejecting an upload."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.audio_fallback import AudioRefused, as_flac
from api.media_limits import (
    Refusal,
    bytes_refusal,
    count_refusal,
    image_refusal,
    probed_refusal,
)
from api.models import Project
from api.settings import ApiSettings
from api.storage import SavedUpload, UploadRejected, save_upload
from engine.errors import EngineError
from engine.probe import ProbeResult, probe


def rejected(status: int, reason: str, message: str) -> HTTPException:
    """An upload error: the HTTP status, a machine reason and a sentence for the user."""
    return HTTPException(status, detail={"reason": reason, "message": message})


async def receive(upload: UploadFile, directory: Path, max_bytes: int) -> SavedUpload:
    """Save an upload to a temporary file or answer why not."""
    try:
        return await save_upload(upload, directory, max_bytes)
    except UploadRejected as exc:
        raise rejected(exc.status, exc.reason, str(exc)) from None


def refuse(refusal: Refusal | None, saved: SavedUpload | None = None) -> None:
    """Answer a refusal, if there is one, removing the file saved for it."""
    if refusal is None:
        return
    if saved is not None:
        saved.path.unlink(missing_ok=True)
    raise rejected(refusal.status, refusal.reason, refusal.message)


async def within_project_count(session: Session, project: Project, settings: ApiSettings) -> None:
    """Refuse a photo or clip for a project that holds as many as a project may."""
    refuse(await run_in_threadpool(count_refusal, session, project, settings))


async def within_account_bytes(
    session: Session, project: Project, settings: ApiSettings, saved: SavedUpload
) -> None:
    """Refuse (and remove) a saved upload that takes its owner past the account's bytes."""
    refusal = await run_in_threadpool(bytes_refusal, session, project, saved.size_bytes, settings)
    refuse(refusal, saved)


async def probed(saved: SavedUpload, settings: ApiSettings) -> ProbeResult:
    """Probe a saved upload with PyAV; a file PyAV cannot read, or over a media cap, is
    removed and answered 422. A photo's pixels are judged from its header before that."""
    if saved.kind == "image":
        refuse(await run_in_threadpool(image_refusal, saved.path, saved.filename, settings), saved)
    try:
        info = await run_in_threadpool(probe, saved.path)
    except EngineError as exc:
        saved.path.unlink(missing_ok=True)
        raise rejected(422, exc.reason, user_message(exc, saved)) from None
    refuse(probed_refusal(info, saved.filename, settings), saved)
    return info


async def probed_audio(
    saved: SavedUpload, settings: ApiSettings
) -> tuple[SavedUpload, ProbeResult]:
    """Probe a saved song with PyAV; one FFmpeg cannot decode is read with libsndfile and
    stored as FLAC instead (the SavedUpload returned describes the stored file). A song
    neither reads, or over the length cap, is removed and answered 422."""
    try:
        info = await run_in_threadpool(probe, saved.path)
    except EngineError as exc:
        if exc.reason != "decode_error":
            saved.path.unlink(missing_ok=True)
            raise rejected(422, exc.reason, user_message(exc, saved)) from None
        try:
            return await run_in_threadpool(as_flac, saved, exc, settings)
        except AudioRefused as refused:
            refuse(refused.refusal, saved)
            raise
    refuse(probed_refusal(info, saved.filename, settings), saved)
    return saved, info


def user_message(exc: EngineError, saved: SavedUpload, stored: Path | None = None) -> str:
    """The engine's message with the name of the file it read (the temporary file, or
    `stored`) replaced by the uploaded name."""
    return exc.message.replace((stored or saved.path).name, saved.filename)
