"""The render clip config as the log has it: every update on the config topic, in order.

The API numbers a new version from here, not from the read model, so two API replicas never
need a lock between them: domain.render_config orders their updates by the log."""

from __future__ import annotations

from events.codec import DecodeError, decode
from events.payloads import RenderConfigUpdated
from events.topic_reader import follow
from events.topics import Topic, physical_name


async def config_updates(bootstrap: str, prefix: str) -> list[RenderConfigUpdated]:
    """Every valid update on the config topic up to its end as of now, in log order."""
    found: list[RenderConfigUpdated] = []
    topic = physical_name(prefix, Topic.RENDER_CONFIG)
    async with follow(bootstrap, [topic], until_end=True) as reader:
        async for record in reader.records():
            try:
                payload = decode(record.value).payload
            except DecodeError:
                continue  # workers reject it too (with a warning in their log)
            if isinstance(payload, RenderConfigUpdated):
                found.append(payload)
    return found
