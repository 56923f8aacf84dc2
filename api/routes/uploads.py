"""What the media and audio routes share: saving, probing and rejecting an upload."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, UploadFile
from starlette.concurrency import run_in_threadpool

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


async def probed(saved: SavedUpload) -> ProbeResult:
    """Probe a saved upload with PyAV; a file PyAV cannot read is removed and answered 422."""
    try:
        return await run_in_threadpool(probe, saved.path)
    except EngineError as exc:
        saved.path.unlink(missing_ok=True)
        raise rejected(422, exc.reason, user_message(exc, saved)) from None


def user_message(exc: EngineError, saved: SavedUpload) -> str:
    """The engine's message with the temporary file's name replaced by the uploaded name."""
    return exc.message.replace(saved.path.name, saved.filename)
