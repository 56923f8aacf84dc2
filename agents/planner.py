"""The planner agent: RenderRequested → RenderStarted + one ClipTaskQueued per segment."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from agents.outbox import Outbox
from agents.planning import plan_render
from agents.recent_ids import RecentIds
from events.base import make_event
from events.codec import DecodeError, decode
from events.payloads import RenderRequested

log = structlog.get_logger("render_worker")


def plan_event_id(request_event_id: str, payload: Any) -> str:
    """The event id of one event of a plan: the same each time the request is planned."""
    part = getattr(payload, "task_id", "")
    return str(
        uuid.uuid5(
            uuid.NAMESPACE_URL, f"beatstitch:plan:{request_event_id}:{payload.event_type}:{part}"
        )
    )


async def handle_render_job_message(
    message: Any, outbox: Outbox, planned: RecentIds, max_segments: int = 1000
) -> None:
    """Plan a render request; other render.jobs events are not the planner's business.

    `planned` holds the requests this worker planned: one redelivered after a rebalance
    (its handling straddled the revoke, so its ack was dropped) is not planned again."""
    try:
        env = decode(message.value)
    except DecodeError as exc:
        await outbox.dead_letter(message, exc.reason, consumer="planner")
        return
    if not isinstance(env.payload, RenderRequested):
        return
    job = env.payload.render_job_id
    if env.event_id in planned:
        log.info("render_worker.render_already_planned", trace_id=env.trace_id, render_job_id=job)
        return
    plan = plan_render(env, max_segments)
    follow = [plan.started, plan.failed, *plan.tasks]
    events = [
        make_event(
            p,
            trace_id=env.trace_id,
            causation_id=env.event_id,
            event_id=plan_event_id(env.event_id, p),
        )
        for p in follow
        if p is not None
    ]
    # Delivered before the request's offset can be committed: a crash re-plans, and the
    # deterministic task and event ids make the second plan the same events again.
    await outbox.send(events)
    planned.remember(env.event_id)
    if plan.failed is not None:
        log.warning(
            "render_worker.render_rejected",
            trace_id=env.trace_id,
            render_job_id=job,
            error=plan.failed.error,
        )
    else:
        log.info(
            "render_worker.render_planned",
            trace_id=env.trace_id,
            render_job_id=job,
            tasks=len(plan.tasks),
        )
