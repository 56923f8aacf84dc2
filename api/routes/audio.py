"""Audio: upload the music (its beat analysis runs in a worker) and read the beat grid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api.clock import new_id, now
from api.deps import OwnedProject, ServicesDep, SessionDep, TraceId
from api.errors import conflict, not_found
from api.models import AudioTrack, Project
from api.openapi_errors import EMITS, OWNED, UPLOAD, errors
from api.read_models import analysis_of, audio_track_of
from api.read_your_writes import emit
from api.routes.uploads import probed_audio, receive, rejected, within_account_bytes
from api.schemas import AnalysisStatus, AudioOut
from api.storage import SavedUpload, move_into_place, project_dir, served_file
from api.timelines import drop_generated_timeline
from events.payloads import BeatAnalysisRequested

router = APIRouter(prefix="/api/v1/projects/{project_id}/audio", tags=["audio"])


def audio_out(session: SessionDep, track: AudioTrack) -> AudioOut:
    """An audio track with its analysis as the projection has it."""
    analysis = analysis_of(session, track.id)
    return AudioOut(
        id=track.id,
        project_id=track.project_id,
        filename=track.filename,
        content_type=track.content_type,
        size_bytes=track.size_bytes,
        checksum=track.checksum,
        duration_ms=track.duration_ms,
        analysis_status=_status(analysis.status if analysis else None),
        bpm=analysis.bpm if analysis else None,
        bpm_confidence=analysis.bpm_confidence if analysis else None,
        beat_count=analysis.beat_count if analysis else 0,
        beat_found=analysis.beat_count > 0 if analysis and analysis.status == "completed" else None,
        analysis_error=analysis.error if analysis else None,
        beats_url=f"/api/v1/projects/{track.project_id}/audio/beats",
    )


def _status(value: str | None) -> AnalysisStatus:
    if value == "completed":
        return "completed"
    return "failed" if value == "failed" else "pending"


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=errors(*UPLOAD, *EMITS))
async def upload_audio(
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
    file: Annotated[UploadFile, File(description="The music: WAV, MP3, FLAC, Ogg or M4A")],
) -> AudioOut:
    """Upload the music; 202 while a worker finds its beats (the GET shows when it is done)."""
    settings = services.settings
    folder = project_dir(settings, project.id) / "audio"
    saved = await receive(file, folder, settings.upload_max_bytes)
    await within_account_bytes(session, project, settings, saved)
    if saved.kind != "audio":
        saved.path.unlink(missing_ok=True)
        raise rejected(
            415,
            "unsupported_type",
            f"{saved.filename} is not audio; upload photos and clips with POST "
            f"/api/v1/projects/{project.id}/media.",
        )
    stored, info = await probed_audio(saved, settings)
    if stored is not saved:  # converted to FLAC: the account holds the FLAC's bytes
        saved = stored
        await within_account_bytes(session, project, settings, saved)
    if not info.duration_ms:
        saved.path.unlink(missing_ok=True)
        raise rejected(422, "decode_error", f"{saved.filename}: the audio has no duration.")
    track_id = new_id("audio")
    final = move_into_place(saved, folder / f"{track_id}{saved.extension}")
    track, request = await run_in_threadpool(
        _register, session, project, saved, track_id, final, info.duration_ms
    )
    await emit(services, request, trace_id=trace_id)
    return await run_in_threadpool(audio_out, session, track)


def _register(
    session: SessionDep,
    project: Project,
    saved: SavedUpload,
    track_id: str,
    path: Path,
    duration_ms: int,
) -> tuple[AudioTrack, BeatAnalysisRequested]:
    # Committed, so no connection is held while the projector folds the request.
    track = AudioTrack(
        id=track_id,
        project_id=project.id,
        content_type=saved.content_type,
        filename=saved.filename,
        path=str(path),
        checksum=saved.checksum,
        size_bytes=saved.size_bytes,
        duration_ms=duration_ms,
        created_at=now(),
    )
    session.add(track)
    drop_generated_timeline(session, project.id)
    session.commit()
    request = BeatAnalysisRequested(
        audio_track_id=track.id,
        project_id=project.id,
        audio_path=str(path),
        checksum=track.checksum,
    )
    return track, request


def _track(session: SessionDep, project: Project) -> AudioTrack:
    track = audio_track_of(session, project)
    if track is None:
        raise not_found(f"audio of project {project.id}")
    return track


@router.get("", responses=errors(*OWNED))
def get_audio(project: OwnedProject, session: SessionDep) -> AudioOut:
    """The project's music and the state of its beat analysis."""
    return audio_out(session, _track(session, project))


@router.get("/beats", response_class=FileResponse, responses=errors(*OWNED, 409))
def get_beats(project: OwnedProject, session: SessionDep, services: ServicesDep) -> FileResponse:
    """The beat grid JSON (bpm, beats, measures) once the analysis completed; 409 before."""
    track = _track(session, project)
    analysis = analysis_of(session, track.id)
    if analysis is None or analysis.status != "completed" or not analysis.beat_grid_path:
        state = analysis.status if analysis else "pending"
        reason = f": {analysis.error}" if analysis and analysis.error else ""
        raise conflict(f"The beat analysis is {state}{reason}; the grid is not available.")
    path = served_file(services.settings, analysis.beat_grid_path)
    if path is None:  # removed, or an analysis event naming a file outside our folders
        raise not_found("the beat grid")
    return FileResponse(path, media_type="application/json")
