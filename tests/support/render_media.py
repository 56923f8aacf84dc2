"""Rendering a file the way a project does: probe it, plan a timeline, render_edl."""

from __future__ import annotations

from pathlib import Path

from engine.edl import EDL
from engine.media import MediaAsset
from engine.probe import probe
from engine.render import render_edl
from engine.sample_media import uniform_edl

FPS = 24


def asset_of(path: Path, asset_id: str = "a") -> MediaAsset:
    """The MediaAsset an upload of `path` makes (probe, as the API does)."""
    found = probe(path)
    return found.to_media_asset(asset_id=asset_id, path=str(path), checksum=f"sha-{asset_id}")


def render_asset(
    asset: MediaAsset, song: Path, work: Path, *, segments: int = 1
) -> tuple[EDL, Path]:
    """Render `segments` one-second cuts of `asset` at preview quality (160x90, 24 fps)."""
    edl = uniform_edl([asset], count=segments, segment_ms=1000, fps=FPS)
    report = render_edl(edl, [asset], song, work / "out.mp4", work / "w", quality="preview")
    assert not report.placeholders, report.placeholders
    return edl, report.path
