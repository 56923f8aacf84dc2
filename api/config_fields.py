"""The render clip config as the admin page shows it (pure): each setting's range read from
RenderClipConfig's own JSON Schema, so the numbers live in one place, and what each version
changed against the one before it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.schemas import ConfigChange, ConfigField
from events.payloads.config import RenderClipConfig


def config_fields() -> list[ConfigField]:
    """Every setting of RenderClipConfig in declaration order, with its range and default."""
    properties: dict[str, Any] = RenderClipConfig.model_json_schema()["properties"]
    return [
        ConfigField(
            name=name,
            type=str(prop.get("type", "")),
            minimum=prop.get("minimum"),
            maximum=prop.get("maximum"),
            default=prop.get("default"),
            description=str(prop.get("description", "")),
        )
        for name, prop in properties.items()
    ]


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[ConfigChange]:
    """The settings whose value differs between two configs, in the order of `after`."""
    return [
        ConfigChange(field=name, before=before.get(name), after=value)
        for name, value in after.items()
        if before.get(name) != value
    ]


def changes_newest_first(
    configs: Sequence[dict[str, Any]], older: dict[str, Any] | None
) -> list[list[ConfigChange]]:
    """What each config of a newest-first run changed against the next older one; the oldest
    is compared with `older` (the version below the run), or with the defaults if none."""
    base = RenderClipConfig().model_dump() if older is None else older
    return [
        changes(configs[i + 1] if i + 1 < len(configs) else base, config)
        for i, config in enumerate(configs)
    ]
