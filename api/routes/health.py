"""Liveness and readiness: the database answers and Kafka has our topics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.openapi_errors import ErrorBody
from api.pipeline_status import pipeline_status
from api.schemas import Health, PipelineStatus
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


@router.get(
    "/healthz/pipeline",
    response_model=PipelineStatus,
    responses={
        503: {"model": ErrorBody, "description": "Kafka or the database did not answer in time."}
    },
)
async def pipeline(services: ServicesDep) -> JSONResponse:
    """Whether a worker and the projector read their topics, and how far behind they are."""
    try:
        body = await pipeline_status(
            services.engine,
            services.bootstrap,
            services.topic_prefix,
            services.database.projector_name,
        )
    except Exception as exc:  # the caller learns it cannot tell, not a crash
        return JSONResponse({"detail": f"unavailable: {exc.__class__.__name__}"}, 503)
    return JSONResponse(body)
