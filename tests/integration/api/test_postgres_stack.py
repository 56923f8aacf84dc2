"""The same service on PostgreSQL: the API's tables and the read models migrate there, and a
render requested through HTTP completes and reads back."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from events.kafka_io import ensure_topics
from local_stack.postgres import LocalPostgres
from tests.support.api_stack import Stack, progress_stream, ready_project, sign_up
from tests.support.cli import cli_env


@pytest.fixture(scope="module")
def stack_env(
    kafka_bootstrap: str, stack_root: Path, postgres_server: LocalPostgres
) -> dict[str, str]:
    """The module's stack on a fresh PostgreSQL database instead of SQLite."""
    from tests.support.api_stack import free_port

    prefix = f"p{uuid.uuid4().hex[:10]}"
    asyncio.run(ensure_topics(kafka_bootstrap, prefix))
    return cli_env(
        kafka_bootstrap,
        prefix,
        postgres_server.create_database(),
        BEATSTITCH_API_PORT=str(free_port()),
        BEATSTITCH_MEDIA_DIR=str(stack_root / "media"),
        BEATSTITCH_ARTIFACTS_DIR=str(stack_root / "artifacts"),
    )


async def test_render_on_postgres(stack_worker: Stack, tmp_path: Path) -> None:
    assert stack_worker.env["BEATSTITCH_DATABASE_URL"].startswith("postgresql")
    account = await sign_up(stack_worker, f"pg-{uuid.uuid4().hex[:8]}@example.com")
    async with stack_worker.client(account.token) as client:
        pid, _ = await ready_project(client, tmp_path)
        accepted = await client.post(
            f"/api/v1/video/workspaces/{account.workspace_id}/render/{pid}",
            json={"kind": "preview"},
        )
        assert accepted.status_code == 202, accepted.text
        events = await progress_stream(client, accepted.json()["events_url"])
        assert events[-1]["status"] == "complete"
        job = (await client.get(accepted.json()["status_url"])).json()
        assert job["kind"] == "preview" and job["clip_stats"]["total_clips"] == 8
        assert (await client.get(job["video_urls"][0])).status_code == 200
