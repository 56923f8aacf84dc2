"""Planning a render (pure): a RenderRequested becomes RenderStarted plus one clip task per
segment, or RenderFailed with a reason a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.edl import EDL
from engine.edl_checks import check_edl
from engine.errors import EngineError
from events.base import Envelope
from events.ids import ID_MAX_LENGTH
from events.payloads import ClipTaskQueued, RenderFailed, RenderRequested, RenderStarted


@dataclass(frozen=True)
class Plan:
    """What the planner emits for one request: either tasks or a failure."""

    started: RenderStarted | None
    tasks: list[ClipTaskQueued]
    failed: RenderFailed | None


def task_id(render_job_id: str, segment_index: int) -> str:
    """Deterministic task id, so planning the same request twice yields the same tasks."""
    return f"{render_job_id}-seg{segment_index:04d}"


def _failed(req: RenderRequested, code: str, error: str) -> Plan:
    return Plan(
        None, [], RenderFailed(render_job_id=req.render_job_id, error=error, error_code=code)
    )


def _parse(req: RenderRequested) -> EDL:
    durations = {m.asset_id: m.duration_ms for m in req.media if m.duration_ms is not None}
    return check_edl(
        req.edl,
        known_asset_ids={m.asset_id for m in req.media},
        asset_durations_ms=durations,
    )


def plan_render(env: Envelope[Any], max_segments: int = 1000) -> Plan:
    """Split a render request event into clip tasks keyed by their source video."""
    return plan_request(env.payload, max_segments)


def plan_request(req: RenderRequested, max_segments: int = 1000) -> Plan:
    """Split a render request into clip tasks keyed by their source video (the same tasks
    every time: the upkeep queues lost ones again from here)."""
    count = len(req.edl.segments)
    if count > max_segments:
        return _failed(
            req,
            "too_many_segments",
            f"the render's EDL has {count:,} segments, more than the {max_segments:,} a "
            "render may have (BEATSTITCH_MAX_SEGMENTS); cut less often (a larger "
            "beats_per_cut) or split the video",
        )
    longest = task_id(req.render_job_id, count - 1)
    if len(longest) > ID_MAX_LENGTH:
        # Any producer may write an id up to the limit; the tasks' ids add a suffix to it.
        room = ID_MAX_LENGTH - (len(longest) - len(req.render_job_id))
        return _failed(
            req,
            "render_job_id_too_long",
            f"the render's id is {len(req.render_job_id)} characters long; its clip tasks "
            f"are named after it, so it may have at most {room}",
        )
    try:
        edl = _parse(req)
    except EngineError as exc:
        return _failed(req, "invalid_edl", f"the render's EDL is invalid: {exc.message}")
    if edl.edl_hash != req.edl_hash:
        return _failed(
            req,
            "edl_hash_mismatch",
            f"the request's edl_hash {req.edl_hash[:12]}… does not match its EDL "
            f"({edl.edl_hash[:12]}…); the EDL changed after it was hashed",
        )
    sources = {m.asset_id: m for m in req.media}
    total = len(edl.segments)
    tasks = [
        ClipTaskQueued(
            task_id=task_id(req.render_job_id, seg.index),
            render_job_id=req.render_job_id,
            video_id=seg.asset_id,
            segment_index=seg.index,
            total_segments=total,
            segment=seg,
            source=sources[seg.asset_id],
            output=req.output,
        )
        for seg in edl.segments
    ]
    started = RenderStarted(
        render_job_id=req.render_job_id, total_tasks=total, task_ids=[t.task_id for t in tasks]
    )
    return Plan(started, tasks, None)
