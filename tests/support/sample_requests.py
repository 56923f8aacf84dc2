"""Valid RenderRequested payloads built from a real EDL (engine.timeline), for agent tests."""

from __future__ import annotations

from pathlib import Path

from domain.render_request import render_requested
from engine.beat_grid import BeatGrid
from engine.edl import CUT, Segment
from engine.media import MediaAsset, MediaKind
from engine.render_settings import RenderSettings
from engine.sample_media import beat_grid, uniform_edl
from engine.timeline import build_edl
from events.payloads import RenderRequested
from events.payloads.common import MediaSource, OutputSettings
from events.payloads.render import AudioSource
from tests.support.media_gen import image_asset


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


def crossfade_request(job: str, *, remote: bool = False) -> RenderRequested:
    """Three 320x180 stills a, b, c, cut every second with 250 ms crossfades (3 s, 24 fps);
    with `remote`, each still also has a CDN URL."""
    stills = [image_asset(Path(f"/m/{a}.png"), a, 320, 180) for a in ("a", "b", "c")]
    edl = uniform_edl(stills, count=3, transition="crossfade", transition_ms=250)
    return RenderRequested(
        render_job_id=job,
        workspace_id="ws",
        project_id="p",
        requested_by="u",
        kind="final",
        edl_hash=edl.edl_hash,
        edl=edl,
        output=OutputSettings(width=320, height=180, fps=24),
        media=[
            MediaSource(
                asset_id=a.id,
                media_type="image",
                checksum=a.checksum,
                remote_url=f"https://cdn/{a.id}.png" if remote else None,
                local_path=a.path,
                width=320,
                height=180,
            )
            for a in stills
        ],
        audio=AudioSource(audio_track_id="t", path="song.wav", checksum="s", duration_ms=3000),
    )
