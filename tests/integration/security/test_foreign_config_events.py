"""A config event from a producer that is not ours, naming its own placeholder file, is
ignored by a real worker with a warning: the placeholder is not the config's to choose."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from events.topics import Topic, physical_name
from tests.support.kcat import foreign_event, kcat_produce, needs_kcat
from tests.support.worker import running_worker

pytestmark = needs_kcat


def config_event(version: int, event_version: int, config: dict[str, object]) -> str:
    payload = {
        "config_name": "render_clip_config",
        "version": version,
        "config": config,
        "updated_by": "intruder",
    }
    event = foreign_event(
        "RenderConfigUpdated",
        event_version,
        "render_clip_config",
        payload,
        event_id=f"00000000-0000-4000-8000-00000000000{version}",
        trace_id=f"foreign-cfg-{version}",
    )
    event["correlation_id"] = None
    return json.dumps(event)


def rejection_at(offset: int) -> Callable[[dict[str, Any]], bool]:
    """Matches the worker's warning about the config message at this offset."""
    return lambda ln: ln["event"] == "render_worker.config_rejected" and ln["offset"] == offset


async def test_a_foreign_placeholder_path_is_ignored_with_a_warning(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = physical_name(topic_prefix, Topic.RENDER_CONFIG)
    env = {"BEATSTITCH_KAFKA_BOOTSTRAP": kafka_bootstrap, "BEATSTITCH_TOPIC_PREFIX": topic_prefix}
    async with running_worker(env) as worker:
        for offset, (version, event_version) in enumerate(((1, 1), (2, 2))):
            config = {"max_parallelism": 1, "placeholder_asset_path": "/media/projects/p/x.mp4"}
            sent = kcat_produce(
                kafka_bootstrap,
                topic,
                "render_clip_config",
                config_event(version, event_version, config),
            )
            assert sent.returncode == 0, sent.stderr
            rejected = await worker.wait_for(rejection_at(offset), timeout_s=120)
            # What an operator sees: a warning saying the path cannot be set; defaults kept.
            assert rejected["level"] == "warning"
            assert "placeholder_asset_path cannot be set" in rejected["reason"]
            assert rejected["kept_version"] == 0
        assert not [ln for ln in worker.lines if ln["event"] == "render_worker.config_hot_reload"]
