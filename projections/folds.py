"""Pure folds of the read models only the projector keeps: config versions, beat analyses,
video generations and upload proxies. (The job and clip-task folds are the domain's:
domain.render_job, domain.clip_stats.) No clock, no I/O, no randomness.

Every fold is idempotent (a redelivered event changes nothing) and the folds of
different topics commute, so a replay rebuilds the same rows whatever the
interleaving of partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from domain.clip_stats import earliest, latest
from domain.render_config import supersedes
from events.base import Envelope
from events.payloads import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
    MediaProxyCompleted,
    MediaProxyRequested,
    RenderConfigUpdated,
    VideoGenerationCompleted,
    VideoGenerationDeleted,
    VideoGenerationFailed,
    VideoGenerationProgress,
    VideoGenerationRequested,
    VideoGenerationStarted,
)
from projections.state import AnalysisState, ConfigVersionState, GenerationState, ProxyState

# A generation's outcome is its first Completed or Failed; a redelivered request that ran
# again cannot give it a second one.
GENERATION_ENDED = frozenset({"completed", "failed"})


def fold_config(current: ConfigVersionState | None, env: Envelope[Any]) -> ConfigVersionState:
    """Record a configuration version; a later update of the same version with other values
    replaces it (the log's order decides, as for the workers: domain.render_config)."""
    p: RenderConfigUpdated = env.payload
    if current is not None and not supersedes(p, current.version, current.config_model):
        return current
    return ConfigVersionState(
        version=p.version,
        config=p.config.model_dump(mode="json"),
        updated_by=p.updated_by,
        event_id=env.event_id,
        occurred_at=env.occurred_at,
    )


def fold_analysis(current: AnalysisState | None, env: Envelope[Any]) -> AnalysisState:
    """Fold a beat analysis event into the track's analysis row."""
    p = env.payload
    base = current or AnalysisState(audio_track_id=p.audio_track_id, project_id=p.project_id)
    if isinstance(p, BeatAnalysisRequested):
        new = replace(base, requested_at=earliest(base.requested_at, env.occurred_at))
    elif isinstance(p, BeatAnalysisCompleted):
        new = replace(
            base,
            status=p.status,
            bpm=p.bpm,
            bpm_confidence=p.bpm_confidence,
            beat_count=p.beat_count,
            beat_grid_path=p.beat_grid_path,
            beat_grid_key=None if p.beat_grid is None else p.beat_grid.key,
            error=p.error or None,
            completed_at=latest(base.completed_at, env.occurred_at),
        )
    else:
        raise TypeError(f"not an analysis event: {env.type}")
    return current if current is not None and new == current else new


def fold_generation(current: GenerationState | None, env: Envelope[Any]) -> GenerationState:
    """Fold a video generation event into its record; the first outcome stays the outcome."""
    p = env.payload
    base = current or GenerationState(generation_id=p.generation_id, project_id=p.project_id)
    ended = base.status in GENERATION_ENDED
    if isinstance(p, VideoGenerationRequested):
        new = _requested(base, p, env)
    elif isinstance(p, VideoGenerationStarted):
        new = (
            base
            if ended
            else replace(
                base,
                status="processing",
                worker_id=p.worker_id,
                started_at=earliest(base.started_at, env.occurred_at),
            )
        )
    elif isinstance(p, VideoGenerationProgress):
        # Progress only rises: a report from an earlier run of a redelivered request is late.
        new = (
            base
            if ended or p.progress < base.progress
            else replace(base, status="processing", progress=p.progress, progress_message=p.message)
        )
    elif isinstance(p, VideoGenerationCompleted):
        new = base if ended else _completed(base, p, env)
    elif isinstance(p, VideoGenerationFailed):
        new = (
            base
            if ended
            else replace(
                base,
                status="failed",
                error_msg=p.error,
                error_code=p.error_code,
                attempts=p.attempts,
                completed_at=env.occurred_at,
            )
        )
    elif isinstance(p, VideoGenerationDeleted):
        new = replace(base, deleted_at=earliest(base.deleted_at, env.occurred_at))
    else:
        raise TypeError(f"not a video generation event: {env.type}")
    if current is not None and new == current:
        return current
    return replace(new, updated_at=latest(base.updated_at, env.occurred_at))


def _requested(
    base: GenerationState, p: VideoGenerationRequested, env: Envelope[Any]
) -> GenerationState:
    spec = p.spec
    return replace(
        base,
        requested_by=p.requested_by,
        provider=p.provider,
        kind=spec.kind.value,
        prompt=spec.prompt,
        model=base.model or spec.model or None,
        image_asset_id=p.image_asset_id,
        segment_index=p.segment_index,
        duration_s=spec.duration_s,
        fps=spec.fps,
        width=base.width or spec.width,
        height=base.height or spec.height,
        style=spec.style,
        motion_level=spec.motion_level,
        camera_motion=spec.camera_motion,
        seed=spec.seed,
        created_at=earliest(base.created_at, env.occurred_at),
    )


def _completed(
    base: GenerationState, p: VideoGenerationCompleted, env: Envelope[Any]
) -> GenerationState:
    return replace(
        base,
        status="completed",
        progress=1.0,
        progress_message="done",
        provider=p.provider,
        model=p.model or base.model,
        task_id=p.task_id or None,
        video_url=p.video_url or None,
        local_path=p.path,
        thumbnail_path=p.thumbnail_path,
        storage_key=None if p.stored is None else p.stored.key,
        thumbnail_key=None if p.thumbnail is None else p.thumbnail.key,
        checksum=p.checksum,
        size_bytes=p.size_bytes,
        width=p.width,
        height=p.height,
        duration_ms=p.duration_ms,
        output_fps=p.fps,
        codec=p.codec,
        attempts=p.attempts,
        provider_metadata=dict(sorted(p.metadata.items())),
        completed_at=env.occurred_at,
    )


def fold_proxies(current: Mapping[str, ProxyState], env: Envelope[Any]) -> dict[str, ProxyState]:
    """Fold a proxy event into an asset's proxies by variant: a request adds a pending one,
    the latest outcome of a variant replaces it (the asset's events share one partition)."""
    p = env.payload
    proxies = dict(current)
    if isinstance(p, MediaProxyRequested):
        variant = "music" if p.kind == "music" else f"{p.width}x{p.height}"
        if variant not in proxies:
            proxies[variant] = ProxyState(
                asset_id=p.asset_id,
                variant=variant,
                project_id=p.project_id,
                kind=p.kind,
                width=p.width if p.kind != "music" else None,
                height=p.height if p.kind != "music" else None,
                updated_at=env.occurred_at,
            )
    elif isinstance(p, MediaProxyCompleted):
        if p.status == "completed":
            new = _proxy_made(p, env)
            proxies[new.variant] = new
        else:
            before = proxies.get(p.variant) or ProxyState(
                asset_id=p.asset_id, variant=p.variant, project_id=p.project_id, kind=p.kind
            )
            proxies[p.variant] = replace(
                before,
                status="failed",
                error=p.error or "the proxy failed",
                updated_at=latest(before.updated_at, env.occurred_at),
            )
    else:
        raise TypeError(f"not a proxy event: {env.type}")
    return proxies


def _proxy_made(p: MediaProxyCompleted, env: Envelope[Any]) -> ProxyState:
    ref = p.proxy if p.proxy is not None else p.music
    assert ref is not None  # the event's model requires it of a completed proxy
    sized = p.proxy
    return ProxyState(
        asset_id=p.asset_id,
        variant=p.variant,
        project_id=p.project_id,
        kind=p.kind,
        status="completed",
        key=ref.key,
        sha256=ref.sha256,
        size=ref.size,
        width=None if sized is None else sized.width,
        height=None if sized is None else sized.height,
        recipe=None if sized is None else sized.recipe,
        updated_at=env.occurred_at,
    )
