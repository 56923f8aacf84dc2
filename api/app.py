"""The FastAPI app: commands become events, queries read projections."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.accounts import user_of_token
from api.body_limits import BodyLimits, Caps, TokenCheck
from api.db import upgrade_all
from api.job_tail import JobTail
from api.metrics import API_PROJECTION_TIMEOUTS, API_REQUEST_SECONDS, API_REQUESTS
from api.projection_watch import ProjectionWatcher
from api.rate_limit import auth_limits
from api.read_your_writes import ProjectionLagging
from api.routes import (
    analytics,
    audio,
    auth,
    generations,
    health,
    media,
    projects,
    render_config,
    renders,
    timeline,
    users,
)
from api.services import Services
from api.settings import ApiSettings
from api.storage import media_root
from api.stream_slots import StreamSlots
from api.studio import mount_studio
from events.kafka_io import EventProducer, ensure_topics, partitions_of
from events.settings import KafkaSettings
from events.topics import Topic, physical_name
from projections.db import make_engine
from projections.settings import DatabaseSettings
from storage.open_store import open_store
from storage.settings import StorageSettings

log = structlog.get_logger(__name__)
_TRACE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def create_app(
    bootstrap: str,
    settings: ApiSettings | None = None,
    kafka: KafkaSettings | None = None,
    database: DatabaseSettings | None = None,
) -> FastAPI:
    """The API app, talking to Kafka at `bootstrap`; settings default to the environment's."""
    settings = settings or ApiSettings()
    app = FastAPI(
        title="BeatStitch",
        version="1",
        summary="Beat-synchronised video renders, driven by events on Kafka.",
        lifespan=_lifespan(
            bootstrap, settings, kafka or KafkaSettings(), database or DatabaseSettings()
        ),
    )
    routers = (auth, users, projects, media, generations, audio, timeline, renders)
    for module in (*routers, render_config, analytics, health):
        app.include_router(module.router)
    app.mount("/metrics", make_asgi_app())
    mount_studio(app)
    # Inside the tracing middleware, so a refused body is traced, counted and logged too.
    caps = Caps(upload_bytes=settings.upload_max_bytes, json_bytes=settings.json_max_bytes)
    app.add_middleware(BodyLimits, caps=caps, token_check=_token_check(app))
    app.middleware("http")(_trace_and_measure())
    app.exception_handler(ProjectionLagging)(_projection_lagging)
    return app


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _lifespan(
    bootstrap: str, settings: ApiSettings, kafka: KafkaSettings, database: DatabaseSettings
) -> Lifespan:
    """Start-up and shut-down: the database (migrated), the topics, one producer, one tail of
    render.jobs for the progress streams, one watcher of the projector's offsets and the
    store (the media folder unless BEATSTITCH_STORAGE_URL names another)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = StorageSettings()
        store = open_store(storage, media_root(settings))
        engine = make_engine(database.database_url)
        await run_in_threadpool(upgrade_all, engine)
        await ensure_topics(bootstrap, kafka.topic_prefix, kafka.topic_replication_factor)
        producer = EventProducer(bootstrap, kafka.topic_prefix, client_id="beatstitch-api")
        await producer.start()
        jobs_topic = physical_name(kafka.topic_prefix, Topic.RENDER_JOBS)
        tail = JobTail(bootstrap, jobs_topic, len(await partitions_of(bootstrap, [jobs_topic])))
        tail.start()
        projection = ProjectionWatcher(engine, database.projector_name)
        app.state.services = Services(
            settings,
            database,
            engine,
            producer,
            bootstrap,
            kafka.topic_prefix,
            projection,
            tail,
            StreamSlots(settings.sse_streams_per_user),
            auth_limits(
                settings.auth_attempts_per_address_per_minute,
                settings.auth_failures_per_account_per_minute,
            ),
            store,
            storage.presigned_url_ttl_s,
        )
        log.info(
            "api.started",
            bootstrap=bootstrap,
            database=engine.url.render_as_string(),
            store=store.url,
        )
        try:
            yield
        finally:
            await tail.stop()
            await projection.stop()
            await producer.stop()
            engine.dispose()

    return lifespan


Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def _trace_and_measure() -> Middleware:
    """Every request gets a trace id, a metric and a log line."""

    async def trace_and_measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        trace_id = _trace_id(request.headers.get("x-trace-id"))
        request.state.trace_id = trace_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(trace_id=trace_id)
        began = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        API_REQUEST_SECONDS.labels(request.method, path).observe(time.perf_counter() - began)
        API_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        response.headers["X-Trace-Id"] = trace_id
        log.info(
            "api.request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
        )
        return response

    return trace_and_measure


async def _projection_lagging(_request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: the change was accepted and will show once the projector runs."""
    assert isinstance(exc, ProjectionLagging)
    API_PROJECTION_TIMEOUTS.inc()
    produced = exc.produced
    return JSONResponse(
        {
            "detail": str(exc),
            "event_id": produced.envelope.event_id,
            "correlation_id": produced.envelope.correlation_id,
        },
        status_code=503,
        headers={"Retry-After": "2"},
    )


def _trace_id(given: str | None) -> str:
    # A caller's trace id is kept if it fits an event envelope; otherwise we make one.
    if given and _TRACE_ID.fullmatch(given):
        return given
    return f"trace-{uuid.uuid4().hex}"


def _token_check(app: FastAPI) -> TokenCheck:
    """Whether an Authorization header carries a live bearer token (the app's database)."""

    async def check(header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        services: Services = app.state.services

        def lookup() -> bool:
            with Session(services.engine) as session:
                return user_of_token(session, token.strip()) is not None

        return await run_in_threadpool(lookup)

    return check
