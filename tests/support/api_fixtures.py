"""Fixtures of the service stack: one API + projector (+ worker) per test module."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.kafka_io import ensure_topics
from tests.support.api_stack import Stack, free_port, service, wait_healthy
from tests.support.cli import cli_env


@pytest.fixture(scope="module")
def stack_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module's folder for the database, uploads, artifacts and logs."""
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="module")
def stack_env(kafka_bootstrap: str, stack_root: Path) -> dict[str, str]:
    """Environment of every process of the module's stack (its own topics and database)."""
    prefix = f"a{uuid.uuid4().hex[:10]}"
    asyncio.run(ensure_topics(kafka_bootstrap, prefix))
    return cli_env(
        kafka_bootstrap,
        prefix,
        f"sqlite:///{stack_root / 'beatstitch.db'}",
        BEATSTITCH_API_PORT=str(free_port()),
        BEATSTITCH_MEDIA_DIR=str(stack_root / "media"),
        BEATSTITCH_ARTIFACTS_DIR=str(stack_root / "artifacts"),
        BEATSTITCH_WORKER_ID=f"api-test-worker-{prefix}",
    )


@pytest.fixture(scope="module")
def stack(stack_env: dict[str, str], stack_root: Path) -> Iterator[Stack]:
    """The API and the projector, running; the API answers /healthz."""
    logs = stack_root / "logs"
    url = f"http://127.0.0.1:{stack_env['BEATSTITCH_API_PORT']}"
    with service("projector", stack_env, logs), service("api", stack_env, logs) as api:
        wait_healthy(url, api, logs)
        yield Stack(url, stack_env, logs, stack_root, api_pid=api.pid)


@pytest.fixture(scope="module")
def stack_worker(stack: Stack) -> Iterator[Stack]:
    """The stack plus one render worker (beat analysis and renders)."""
    with service("worker", stack.env, stack.logs):
        yield stack
