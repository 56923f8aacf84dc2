"""Turning a song and media files on this machine into a RenderRequested that reproduces the
render: find the beats, probe the media, cut the EDL, snapshot it all (the CLI, the tests and
the benches render this way without the API)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.render_request import render_requested
from engine.beat_grid import BeatGrid
from engine.beats import analyze, file_checksum
from engine.edl import EDL
from engine.probe import probe
from engine.render_settings import RenderSettings
from engine.timeline import build_edl
from events.payloads import RenderRequested
from events.payloads.render import AudioSource

MEDIA_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class PreparedRender:
    """The request to send, and what it was built from."""

    request: RenderRequested
    edl: EDL
    grid: BeatGrid


def media_files(directory: Path) -> list[Path]:
    """The photos and clips of a folder, in name order."""
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES)


def prepare_render(
    audio: Path,
    media: list[Path],
    settings: RenderSettings,
    *,
    render_job_id: str,
    kind: str = "final",
    cache_dir: Path | None = None,
    workspace_id: str = "local",
    project_id: str = "local",
    requested_by: str = "local",
) -> PreparedRender:
    """Analyse the beats, probe the media, build the EDL and snapshot it all in a request."""
    grid = analyze(audio, cache_dir)
    assets = []
    names: dict[str, str] = {}
    for path in media:
        checksum = file_checksum(path)
        info = probe(path)
        asset = info.to_media_asset(
            asset_id=f"asset-{checksum[:12]}", path=str(path.resolve()), checksum=checksum
        )
        assets.append(asset)
        names[asset.id] = path.name
    edl = build_edl(settings, assets, grid)
    request = render_requested(
        render_job_id=render_job_id,
        workspace_id=workspace_id,
        project_id=project_id,
        requested_by=requested_by,
        kind=kind,
        edl=edl,
        assets=assets,
        file_names=names,
        audio=AudioSource(
            audio_track_id=f"audio-{grid.audio_file_checksum[:12]}",
            path=str(audio.resolve()),
            checksum=grid.audio_file_checksum,
            duration_ms=grid.duration_ms,
        ),
    )
    return PreparedRender(request, edl, grid)
