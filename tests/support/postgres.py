"""The PostgreSQL fixtures: one local server per test session, a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_stack.postgres import LocalPostgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One PostgreSQL server for the whole test session."""
    server = LocalPostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: LocalPostgres) -> str:
    """A fresh database per test."""
    return postgres_server.create_database()
