"""The planner agent: RenderRequested → RenderStarted + one ClipTaskQueued per segment."""

from __future__ import annotations

from typing import Any

import structlog

from agents.outbox import Outbox
from agents.planning import plan_render
from events.base import make_event
from events.codec import DecodeError, decode
from events.payloads import RenderRequested

log = structlog.get_logger("render_worker")


async def handle_render_job_message(message: Any, outbox: Outbox) -> None:
    """Plan a render request; other render.jobs events are not the planner's business."""
    try:
        env = decode(message.value)
    except DecodeError as exc:
        await outbox.dead_letter(message, exc.reason, consumer="planner")
        return
    if not isinstance(env.payload, RenderRequested):
        return
    plan = plan_render(env)
    follow = [plan.started, plan.failed, *plan.tasks]
    events = [
        make_event(p, trace_id=env.trace_id, causation_id=env.event_id)
        for p in follow
        if p is not None
    ]
    # Delivered before the request's offset can be committed: a crash re-plans, and the
    # deterministic task ids make the second plan identical to the first.
    await outbox.send(events)
    job = env.payload.render_job_id
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
