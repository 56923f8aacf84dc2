"""A project's timeline: generated from its beats, media and settings, or edited by the user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.clock import now
from api.errors import conflict
from api.models import AudioTrack, MediaAssetRow, Project, Timeline
from api.read_models import analysis_of, audio_track_of
from api.stored_files import read_object
from engine.beat_grid import BeatGrid
from engine.edl import EDL
from engine.edl_checks import EdlProblem, parse_edl
from engine.errors import EdlValidationError, EngineError
from engine.media import MediaAsset
from engine.render_settings import RenderSettings
from engine.timeline import build_edl, cutting_rule
from storage.object_store import ObjectStore


def media_rows(session: Session, project_id: str) -> list[MediaAssetRow]:
    """The project's media in timeline order."""
    return list(
        session.scalars(
            select(MediaAssetRow)
            .where(MediaAssetRow.project_id == project_id)
            .order_by(MediaAssetRow.position)
        )
    )


def engine_asset(row: MediaAssetRow) -> MediaAsset:
    """A media row as the engine's MediaAsset (the row keeps the asset's fields by name)."""
    return MediaAsset.model_validate(row, from_attributes=True, strict=False)


def ready_audio(
    session: Session, store: ObjectStore, project: Project
) -> tuple[AudioTrack, BeatGrid]:
    """The project's music and its beat grid (from the store when the analysis put it
    there, else from its path), or 409 saying what is missing."""
    track = audio_track_of(session, project)
    if track is None:
        raise conflict(f"Upload the music first: POST /api/v1/projects/{project.id}/audio.")
    analysis = analysis_of(session, track.id)
    if analysis is None or analysis.status == "pending":
        raise conflict(
            "The beat analysis of the music is still running; try again in a few seconds "
            f"(GET /api/v1/projects/{project.id}/audio shows its status)."
        )
    if analysis.status != "completed" or not (analysis.beat_grid_key or analysis.beat_grid_path):
        raise conflict(
            f"The beat analysis failed: {analysis.error or 'no reason given'}. "
            "Upload another audio file."
        )
    if analysis.beat_grid_key:
        grid_json = read_object(store, analysis.beat_grid_key, analysis.beat_grid_path)
    else:
        grid_json = Path(analysis.beat_grid_path or "").read_bytes()
    return track, BeatGrid.model_validate_json(grid_json)


def check_segment_count(count: int, limit: int) -> None:
    """Refuse a timeline with more segments than one render request may carry."""
    if count > limit:
        raise EdlValidationError(
            [
                EdlProblem(
                    code="too_many_segments",
                    segment_index=None,
                    field="segments",
                    message=(
                        f"{count} segments are more than the {limit} one render may have "
                        "(BEATSTITCH_MAX_SEGMENTS); cut less often (a larger beats_per_cut)"
                    ),
                )
            ]
        )


def generate_timeline(
    session: Session, store: ObjectStore, project: Project, max_segments: int
) -> Timeline:
    """Build the EDL from the beats, media and settings, and store it as the project's."""
    _, grid = ready_audio(session, store, project)
    rows = media_rows(session, project.id)
    if not rows:
        raise conflict(
            f"Upload at least one photo or clip first: POST /api/v1/projects/{project.id}/media."
        )
    settings = RenderSettings.model_validate(project.settings)
    try:
        edl = build_edl(settings, [engine_asset(r) for r in rows], grid)
    except EngineError as exc:
        raise conflict(f"No timeline can be cut from this music and media: {exc.message}") from None
    check_segment_count(len(edl.segments), max_segments)
    return _store(session, project, edl, "generated")


def replace_timeline(
    session: Session,
    store: ObjectStore,
    project: Project,
    document: dict[str, Any],
    max_segments: int,
) -> Timeline:
    """Validate an edited EDL against the project's media and music, then store it."""
    segments = document.get("segments")
    # Counted before the whole document is parsed: a huge one is refused cheaply.
    check_segment_count(len(segments) if isinstance(segments, list) else 0, max_segments)
    track, _ = ready_audio(session, store, project)
    rows = media_rows(session, project.id)
    edl = parse_edl(
        document,
        known_asset_ids={r.id for r in rows},
        asset_durations_ms={r.id: r.duration_ms for r in rows if r.duration_ms is not None},
    )
    if edl.audio.checksum != track.checksum:
        raise EdlValidationError(
            [
                EdlProblem(
                    code="asset_mismatch",
                    segment_index=None,
                    field="audio.checksum",
                    message="is not the checksum of the project's current music",
                )
            ]
        )
    return _store(session, project, edl, "edited")


def cutting_of(session: Session, project: Project, timeline: Timeline) -> str:
    """How the timeline cuts the music, in words ('no clear beat found; cutting every 8 s')."""
    if timeline.origin == "edited":
        return "cut by hand (an edited timeline)"
    # From the stored EDL and the analysis row: no beat grid is read from disk per GET.
    edl = edl_of(timeline)
    track = audio_track_of(session, project)
    analysis = analysis_of(session, track.id) if track is not None else None
    beat_found = analysis is not None and analysis.beat_count > 0
    settings = RenderSettings.model_validate(project.settings)
    return cutting_rule(settings, beat_found, edl.total_duration_ms, len(edl.media))


def current_timeline(session: Session, project: Project) -> Timeline | None:
    """The stored timeline, if any."""
    return session.get(Timeline, project.id)


def drop_generated_timeline(session: Session, project_id: str) -> None:
    """Forget a generated timeline whose inputs changed; the next render regenerates it."""
    session.execute(
        delete(Timeline).where(Timeline.project_id == project_id, Timeline.origin == "generated")
    )


def edl_of(timeline: Timeline) -> EDL:
    """The stored EDL as the engine's model."""
    return EDL.model_validate(timeline.edl)


def _store(session: Session, project: Project, edl: EDL, origin: str) -> Timeline:
    timeline = session.get(Timeline, project.id) or Timeline(project_id=project.id)
    timeline.edl = edl.model_dump(mode="json")
    timeline.edl_hash = edl.edl_hash
    timeline.origin = origin
    timeline.updated_at = now()
    session.add(timeline)
    session.commit()
    return timeline
