"""Audio: upload the music (its beat analysis runs in a worker), read it and its beat grid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api.clock import new_id, now
from api.deps import OwnedProject, ServicesDep, SessionDep, TraceId
from api.errors import conflict, not_found
from api.models import AudioTrack, Project
from api.openapi_errors import EMITS, OWNED, UPLOAD, errors
from api.read_models import analysis_of, audio_track_of, proxies_of
from api.read_your_writes import emit
from api.routes.uploads import probed_audio, receive, rejected, within_account_bytes
from api.schemas import AnalysisStatus, AudioOut
from api.served_objects import serve_object
from api.storage import SavedUpload, served_file
from api.stored_files import (
    incoming_dir,
    local_file,
    move_to,
    music_file,
    put_upload,
    read_object,
)
from api.timelines import drop_generated_timeline
from api.upload_proxies import proxies_out, proxy_request, request_proxy
from domain.render_request import SourceFile
from events.payloads import BeatAnalysisRequested
from storage.keys import audio_key
from storage.object_store import ObjectStore

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
        proxies=proxies_out(proxies_of(session, [track.id])[track.id]),
    )


def _status(value: str | None) -> AnalysisStatus:
    if value == "completed":
        return "completed"
    return "failed" if value == "failed" else "pending"


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, responses=errors(*UPLOAD, *EMITS, store=True)
)
async def upload_audio(
    project: OwnedProject,
    session: SessionDep,
    services: ServicesDep,
    trace_id: TraceId,
    file: Annotated[UploadFile, File(description="The music: WAV, MP3, FLAC, Ogg or M4A")],
) -> AudioOut:
    """Upload the music; 202 while a worker finds its beats (the GET shows when it is done)
    and makes its AAC proxy."""
    settings, store = services.settings, services.store
    saved = await receive(file, incoming_dir(settings), settings.upload_max_bytes)
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
    key = audio_key(project.id, track_id, saved.extension)
    final = move_to(saved.path, local_file(store, settings, key))
    await put_upload(store, [(key, final, saved.content_type)])
    track, request = await run_in_threadpool(
        _register, session, store, project, saved, (track_id, key), final, info.duration_ms
    )
    await emit(services, request, trace_id=trace_id)
    music = proxy_request(
        project, track.id, "music", track.checksum, SourceFile(request.stored, request.audio_path)
    )
    await request_proxy(services, music, trace_id)
    return await run_in_threadpool(audio_out, session, track)


def _register(
    session: SessionDep,
    store: ObjectStore,
    project: Project,
    saved: SavedUpload,
    ids: tuple[str, str],
    path: Path,
    duration_ms: int,
) -> tuple[AudioTrack, BeatAnalysisRequested]:
    track_id, key = ids
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
        storage_key=key,
    )
    session.add(track)
    drop_generated_timeline(session, project.id)
    session.commit()
    file = music_file(store, track)
    request = BeatAnalysisRequested(
        audio_track_id=track.id,
        project_id=project.id,
        audio_path=file.local_path,
        checksum=track.checksum,
        stored=file.stored,
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


@router.get("/file", response_class=FileResponse, responses=errors(*OWNED, store=True))
def get_audio_file(project: OwnedProject, session: SessionDep, services: ServicesDep) -> Response:
    """The song's file as uploaded, for the studio's waveform and player: from the folder
    store with HTTP Range, from an S3 store streamed through the API (the studio's policy
    lets it fetch from this server only)."""
    track = _track(session, project)
    return serve_object(
        services.store,
        track.storage_key,
        fallback=served_file(services.settings, track.path),
        what=f"The song of {project.id}",
        media_type=track.content_type,
        filename=track.filename,
        ttl_s=services.download_url_ttl_s,
        redirect=False,
    )


@router.get("/beats", response_class=FileResponse, responses=errors(*OWNED, 409, store=True))
def get_beats(project: OwnedProject, session: SessionDep, services: ServicesDep) -> Response:
    """The beat grid JSON (bpm, beats, measures) once the analysis completed; 409 before."""
    track = _track(session, project)
    analysis = analysis_of(session, track.id)
    grid_known = analysis is not None and (analysis.beat_grid_key or analysis.beat_grid_path)
    if analysis is None or analysis.status != "completed" or not grid_known:
        state = analysis.status if analysis else "pending"
        reason = f": {analysis.error}" if analysis and analysis.error else ""
        raise conflict(f"The beat analysis is {state}{reason}; the grid is not available.")
    if analysis.beat_grid_key:
        # Read through the API (a grid is small), so the GET never redirects.
        fallback = served_file(services.settings, analysis.beat_grid_path or "")
        grid = read_object(services.store, analysis.beat_grid_key, fallback)
        return Response(grid, media_type="application/json")
    path = served_file(services.settings, analysis.beat_grid_path or "")
    if path is None:  # removed, or an analysis event naming a file outside our folders
        raise not_found("the beat grid")
    return FileResponse(path, media_type="application/json")
