"""The render-request contract: the one mapper between the engine's types and the event's.

A RenderRequested snapshots everything a render needs (EDL, output settings, every media
source, the music), so the event alone reproduces it; the workers map its parts back to the
engine's types with the inverse functions here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.edl import EDL
from engine.media import MediaAsset
from engine.render_settings import OutputSettings as EngineOutput
from events.payloads import RenderRequested
from events.payloads.common import MediaSource, ObjectRef, OutputSettings, ProxyRef
from events.payloads.render import AudioSource


@dataclass(frozen=True)
class SourceFile:
    """Where a worker finds a source's bytes: the object in the store, and the file on a
    disk every worker shares (only when the store is such a folder, or for a file from
    before the store)."""

    stored: ObjectRef | None
    local_path: str | None


# A media source names at most this many proxies (the event's bound): the newest first.
MAX_PROXIES = 8


def media_source(
    asset: MediaAsset,
    file_name: str | None = None,
    file: SourceFile | None = None,
    proxies: Sequence[ProxyRef] = (),
) -> MediaSource:
    """A probed asset as a render request carries it: in the store and/or at a local path
    (the asset's own path when `file` is not given), with the proxies made of it so far,
    no remote yet."""
    return MediaSource(
        asset_id=asset.id,
        media_type=asset.kind,
        checksum=asset.checksum,
        local_path=asset.path if file is None else file.local_path,
        stored=None if file is None else file.stored,
        duration_ms=asset.duration_ms,
        width=asset.width,
        height=asset.height,
        rotation=asset.rotation,
        display_aspect_ratio=asset.display_aspect_ratio,
        fps=asset.fps,
        file_name=file_name,
        proxies=list(proxies[:MAX_PROXIES]),
    )


def audio_source(
    audio_track_id: str,
    checksum: str,
    duration_ms: int,
    file: SourceFile,
    proxy: ObjectRef | None = None,
) -> AudioSource:
    """The music as a render request carries it: in the store and/or at a local path, and
    its AAC proxy once one is made."""
    return AudioSource(
        audio_track_id=audio_track_id,
        path=file.local_path,
        checksum=checksum,
        duration_ms=duration_ms,
        stored=file.stored,
        proxy=proxy,
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
    file_names: Mapping[str, str] | None = None,
    files: Mapping[str, SourceFile] | None = None,
    proxies: Mapping[str, Sequence[ProxyRef]] | None = None,
) -> RenderRequested:
    """The request for one render of an EDL; `assets` must include every asset it uses;
    `file_names` gives the user's name of each asset's file, `files` where its bytes are
    (by default its path) and `proxies` the proxies made so far (a render reads the
    original of an asset without a fitting one), by asset id."""
    names = file_names or {}
    where = files or {}
    made = proxies or {}
    by_id = {a.id: a for a in assets}
    out = edl.output
    return RenderRequested(
        render_job_id=render_job_id,
        workspace_id=workspace_id,
        project_id=project_id,
        requested_by=requested_by,
        kind=kind,
        edl_hash=edl.edl_hash,
        edl=edl,
        output=OutputSettings(width=out.width, height=out.height, fps=out.fps, quality=kind),
        media=[
            media_source(
                by_id[asset_id], names.get(asset_id), where.get(asset_id), made.get(asset_id, ())
            )
            for asset_id in used_asset_ids(edl)
        ],
        audio=audio,
    )


def engine_output(output: OutputSettings) -> EngineOutput:
    """The engine's output settings for a render's output settings."""
    return EngineOutput(width=output.width, height=output.height, fps=output.fps)


def media_asset(source: MediaSource, path: str) -> MediaAsset:
    """The engine's view of a media source, read from `path` (a URL or a local file)."""
    if source.width is None or source.height is None:
        # The planner rejects such requests; this guards direct producers.
        raise ValueError(f"media {source.asset_id} has no width/height; probe it first")
    return MediaAsset(
        id=source.asset_id,
        kind="video" if source.media_type == "video" else "image",
        path=path,
        checksum=source.checksum,
        width=source.width,
        height=source.height,
        rotation=source.rotation,  # type: ignore[arg-type]
        display_aspect_ratio=source.display_aspect_ratio,
        duration_ms=source.duration_ms,
        fps=source.fps,
    )
