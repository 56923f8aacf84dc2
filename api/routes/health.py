"""Liveness and readiness: the database answers and Kafka has our topics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.schemas import Health
from api.services import Services
from events.kafka_io import partitions_of
from events.topics import Topic, physical_name

router = APIRouter(tags=["health"])


def _database_ok(services: Services) -> bool:
    with services.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return True


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or Kafka does not answer."}},
)
async def healthz(services: ServicesDep) -> JSONResponse:
    """200 when the database and Kafka answer, 503 naming what does not."""
    checks: dict[str, Any] = {}
    try:
        checks["database"] = await run_in_threadpool(_database_ok, services) and "ok"
    except Exception as exc:  # any failure is the answer, not a crash
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
    try:
        topic = physical_name(services.topic_prefix, Topic.RENDER_JOBS)
        found = await asyncio.wait_for(partitions_of(services.bootstrap, [topic]), 5.0)
        checks["kafka"] = "ok" if found else f"topic {topic} missing"
    except Exception as exc:
        checks["kafka"] = f"unavailable: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return JSONResponse(body, status_code=200 if healthy else 503)
