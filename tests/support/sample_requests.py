"""Valid RenderRequested payloads built from a real EDL (engine.timeline), for agent tests."""

from __future__ import annotations

from domain.render_request import render_requested
from engine.beat_grid import BeatGrid
from engine.edl import CUT, Segment
from engine.media import MediaAsset, MediaKind
from engine.render_settings import RenderSettings
from engine.sample_media import beat_grid
from engine.timeline import build_edl
from events.payloads import RenderRequested
from events.payloads.render import AudioSource


def steady_grid(bpm: float = 120.0, duration_ms: int = 8_000) -> BeatGrid:
    """A beat every 60000/bpm ms from 0 to `duration_ms`, bars of four."""
    period = round(60_000 / bpm)
    return beat_grid(period, -(-duration_ms // period), checksum="audio")


def assets(videos: int = 2, images: int = 1) -> list[MediaAsset]:
    """Video and still assets with made-up paths."""
    found = [
        MediaAsset(
            id=f"vid-{i}",
            kind="video",
            path=f"/media/vid-{i}.mp4",
            checksum=f"cv{i}",
            width=1920,
            height=1080,
            duration_ms=10_000,
            fps=30.0,
        )
        for i in range(videos)
    ]
    found += [
        MediaAsset(
            id=f"img-{i}",
            kind="image",
            path=f"/media/img-{i}.jpg",
            checksum=f"ci{i}",
            width=3000,
            height=2000,
        )
        for i in range(images)
    ]
    return found


def render_request(job: str, beats_per_cut: int = 2, duration_ms: int = 8_000) -> RenderRequested:
    """A request whose EDL the planner accepts: one segment every `beats_per_cut` beats."""
    settings = RenderSettings.model_validate({"beats_per_cut": beats_per_cut})
    media = assets()
    edl = build_edl(settings, media, steady_grid(duration_ms=duration_ms))
    return render_requested(
        render_job_id=job,
        workspace_id="ws",
        project_id="p",
        requested_by="u",
        kind="final",
        edl=edl,
        assets=media,
        audio=AudioSource(
            audio_track_id="song", path="/media/song.wav", checksum="audio", duration_ms=duration_ms
        ),
    )


def sample_segment(index: int = 0, asset_id: str = "vid-0", kind: MediaKind = "video") -> Segment:
    """A valid one-second segment with cuts on both sides, for events that carry one."""
    start = index * 1000
    return Segment(
        index=index,
        asset_id=asset_id,
        media_type=kind,
        timeline_in_ms=start,
        timeline_out_ms=start + 1000,
        render_duration_ms=1000,
        source_in_ms=0,
        source_out_ms=1000,
        transition_in=CUT,
        transition_out=CUT,
    )
