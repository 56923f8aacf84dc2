"""What every request handler shares: settings, the database, the event producer, the watcher
of the projector's offsets, the one tail of render.jobs, the open progress streams, the
limits on logins, the store of uploads and renders, and the video generation settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from api.job_tail import JobTail
from api.projection_watch import ProjectionWatcher
from api.rate_limit import AuthLimits
from api.settings import ApiSettings
from api.stream_slots import StreamSlots
from domain.generation_settings import GenerationSettings
from events.kafka_io import EventProducer
from projections.settings import DatabaseSettings
from storage.object_store import ObjectStore


@dataclass(frozen=True)
class Services:
    """Long-lived parts of the app, made once in its lifespan."""

    settings: ApiSettings
    database: DatabaseSettings
    engine: Engine
    producer: EventProducer
    bootstrap: str
    topic_prefix: str
    projection: ProjectionWatcher
    tail: JobTail
    streams: StreamSlots
    auth_limits: AuthLimits
    # Where uploads are put and renders read from (BEATSTITCH_STORAGE_URL; the media folder).
    store: ObjectStore
    # How long a download URL handed out for a stored object is valid (S3 only).
    download_url_ttl_s: int
    # The default video provider and which ones are set up (BEATSTITCH_*, as the workers').
    generation: GenerationSettings = field(default_factory=GenerationSettings)
