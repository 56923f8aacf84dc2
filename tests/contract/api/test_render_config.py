"""The render config contract: GET/PATCH /api/v1/render/config, the event it produces, and
workers applying it without a restart."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import RenderClipConfig, RenderConfigUpdated
from events.topics import Topic
from tests.support.api_stack import Stack, log_lines, sign_up_admin
from tests.support.pipeline import read_until

DEFAULTS = {
    "max_parallelism": 4,
    "per_video_limit": 2,
    "max_retry": 2,
    "retry_backoff_base_ms": 500,
    "metrics_flush_interval_s": 5,
}


_ADMINS: dict[str, str] = {}


async def _token(stack: Stack) -> str:
    """An administrator's token (one per stack): only administrators change the config."""
    if stack.url not in _ADMINS:
        email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
        _ADMINS[stack.url] = (await sign_up_admin(stack, email)).token
    return _ADMINS[stack.url]


async def test_config_needs_a_token(stack_worker: Stack) -> None:
    async with stack_worker.client() as client:
        assert (await client.get("/api/v1/render/config")).status_code == 401
        assert (
            await client.patch("/api/v1/render/config", json={"max_retry": 1})
        ).status_code == 401


async def test_patch_is_validated_produced_read_back_and_applied_by_workers(
    stack_worker: Stack,
) -> None:
    stack = stack_worker
    async with stack.client(await _token(stack)) as client:
        before = (await client.get("/api/v1/render/config")).json()
        # A fresh log has no version yet: RenderClipConfig's defaults, as version 0.
        if before["version"] == 0:
            assert before["config"] == DEFAULTS and before["updated_by"] is None
        patched = await client.patch(
            "/api/v1/render/config", json={"max_parallelism": 2, "per_video_limit": 1}
        )
        assert patched.status_code == 200, patched.text
        after = patched.json()
        assert after["version"] == before["version"] + 1
        assert after["config"] == {**before["config"], "max_parallelism": 2, "per_video_limit": 1}
        assert after["updated_by"].startswith("ops-")
        # Read your writes: the very next GET shows the new version.
        assert (await client.get("/api/v1/render/config")).json() == after

    prefix = stack.env["BEATSTITCH_TOPIC_PREFIX"]
    events = await read_until(
        stack.env["BEATSTITCH_KAFKA_BOOTSTRAP"],
        prefix,
        Topic.RENDER_CONFIG,
        lambda seen: any(e.payload.version == after["version"] for e in seen),
    )
    event = next(e for e in events if e.payload.version == after["version"])
    assert event.type == "RenderConfigUpdated"
    assert event.key == "render_clip_config"
    assert event.payload.config.model_dump() == after["config"]

    # Every worker applies it without a restart and says so in its JSON log.
    for _ in range(100):
        reloads = [
            line
            for line in log_lines(stack.logs, "worker")
            if line.get("event") == "render_worker.config_hot_reload"
            and line.get("config_version") == after["version"]
        ]
        if reloads:
            break
        await asyncio.sleep(0.1)
    assert reloads, "the worker did not log render_worker.config_hot_reload for the new version"
    assert reloads[0]["max_parallelism"] == 2 and reloads[0]["per_video_limit"] == 1


@pytest.mark.parametrize(
    ("patch", "field", "says"),
    [
        ({"max_parallelism": 7}, "max_parallelism", "less than or equal to 6"),
        ({"max_parallelism": 0}, "max_parallelism", "greater than or equal to 1"),
        ({"per_video_limit": 0}, "per_video_limit", "greater than or equal to 1"),
        ({"max_retry": -1}, "max_retry", "greater than or equal to 0"),
        ({"retry_backoff_base_ms": 120_000}, "retry_backoff_base_ms", "less than or equal"),
        ({"metrics_flush_interval_s": 0}, "metrics_flush_interval_s", "greater than or equal"),
        ({"max_parallelism": "four"}, "max_parallelism", "valid integer"),
        # Not configurable at all: a path here would show any file in every tenant's renders.
        (
            {"placeholder_asset_path": "media/x.mp4"},
            "placeholder_asset_path",
            "placeholder_asset_path cannot be set",
        ),
        ({"turbo": True}, "turbo", "Extra inputs are not permitted"),
    ],
)
async def test_out_of_range_patch_is_refused_and_changes_nothing(
    stack_worker: Stack, patch: dict[str, Any], field: str, says: str
) -> None:
    async with stack_worker.client(await _token(stack_worker)) as client:
        before = (await client.get("/api/v1/render/config")).json()
        answer = await client.patch("/api/v1/render/config", json=patch)
        # What the user sees: 422, the field named in `loc`, and pydantic's reason.
        assert answer.status_code == 422, answer.text
        problem = answer.json()["detail"][0]
        assert problem["loc"] == ["body", field]
        assert says in problem["msg"]
        assert (await client.get("/api/v1/render/config")).json() == before


async def test_a_body_that_is_not_an_object_is_refused(stack_worker: Stack) -> None:
    async with stack_worker.client(await _token(stack_worker)) as client:
        answer = await client.patch("/api/v1/render/config", json=[1, 2])
        assert answer.status_code == 422


async def test_versions_come_from_the_log_so_replicas_need_no_lock(stack_worker: Stack) -> None:
    """Another API replica's updates, numbered alike, are ordered by the log: the API numbers
    the next version above every version on the topic and patches the config in force."""
    stack = stack_worker
    bootstrap = stack.env["BEATSTITCH_KAFKA_BOOTSTRAP"]
    prefix = stack.env["BEATSTITCH_TOPIC_PREFIX"]
    async with stack.client(await _token(stack)) as client:
        base = (await client.get("/api/v1/render/config")).json()["version"]
        # Two other replicas both read `base` and both wrote base + 1; the log put "b" last.
        async with EventProducer(bootstrap, prefix) as producer:
            for by, retries in (("replica-a", 5), ("replica-b", 7)):
                update = RenderConfigUpdated(
                    version=base + 1, config=RenderClipConfig(max_retry=retries), updated_by=by
                )
                await producer.send(make_event(update, trace_id=f"config-{by}"))
        patched = await client.patch("/api/v1/render/config", json={"per_video_limit": 3})
        assert patched.status_code == 200, patched.text
        after = patched.json()
    # Numbered above both, and built on the later of the two (max_retry 7, not 5).
    assert after["version"] == base + 2
    assert after["config"]["max_retry"] == 7 and after["config"]["per_video_limit"] == 3
