"""Shared fixtures: one real Kafka broker, one PostgreSQL server and one S3Proxy per test
session, and the service stack (API + projector [+ worker] processes) per module for the API
tests."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from events.kafka_io import ensure_topics
from tests.support.api_fixtures import stack, stack_env, stack_root, stack_worker  # noqa: F401
from tests.support.cli import render_env  # noqa: F401
from tests.support.kafka import kafka_bootstrap, use_test_service_principal  # noqa: F401
from tests.support.listener import silent_port  # noqa: F401
from tests.support.postgres import postgres_server, postgres_url  # noqa: F401
from tests.support.s3proxy import s3_store, s3proxy  # noqa: F401


def pytest_configure(config: pytest.Config) -> None:
    """Authenticate every Kafka client of the session (brokers refuse anonymous ones)."""
    use_test_service_principal()


@pytest.fixture
async def topic_prefix(kafka_bootstrap: str) -> str:  # noqa: F811
    """A unique topic prefix per test, its topics created from the topic table."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, prefix)
    return prefix


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh read-model database: a SQLite file, then a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'read_models.db'}"
    return str(request.getfixturevalue("postgres_url"))
