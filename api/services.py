"""What every request handler shares: settings, the database and the event producer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from api.settings import ApiSettings
from events.kafka_io import EventProducer
from projections.settings import DatabaseSettings


@dataclass(frozen=True)
class Services:
    """Long-lived parts of the app, made once in its lifespan."""

    settings: ApiSettings
    database: DatabaseSettings
    engine: Engine
    producer: EventProducer
    bootstrap: str
    topic_prefix: str
