"""A RenderRequested that snapshots everything a render needs, so the event alone reproduces it."""

from __future__ import annotations

from collections.abc import Sequence

from engine.edl import EDL
from engine.media import MediaAsset
from events.payloads import RenderRequested
from events.payloads.common import MediaSource, OutputSettings
from events.payloads.render import AudioSource


def media_source(asset: MediaAsset) -> MediaSource:
    """A probed asset as a render request carries it: a local copy, no remote yet."""
    return MediaSource(
        asset_id=asset.id,
        media_type=asset.kind,
        checksum=asset.checksum,
        local_path=asset.path,
        duration_ms=asset.duration_ms,
        width=asset.width,
        height=asset.height,
        rotation=asset.rotation,
        display_aspect_ratio=asset.display_aspect_ratio,
        fps=asset.fps,
    )


def used_asset_ids(edl: EDL) -> list[str]:
    """Assets the timeline shows, each once, in order of first use."""
    return list(dict.fromkeys(segment.asset_id for segment in edl.segments))


def render_requested(
    *,
    render_job_id: str,
    workspace_id: str,
    project_id: str,
    requested_by: str,
    kind: str,
    edl: EDL,
    assets: Sequence[MediaAsset],
    audio: AudioSource,
) -> RenderRequested:
    """The request for one render of an EDL; `assets` must include every asset it uses."""
    by_id = {a.id: a for a in assets}
    out = edl.output
    return RenderRequested(
        render_job_id=render_job_id,
        workspace_id=workspace_id,
        project_id=project_id,
        requested_by=requested_by,
        kind=kind,
        edl_hash=edl.edl_hash,
        edl=edl.model_dump(mode="json"),
        output=OutputSettings(width=out.width, height=out.height, fps=out.fps, quality=kind),
        media=[media_source(by_id[asset_id]) for asset_id in used_asset_ids(edl)],
        audio=audio,
    )
