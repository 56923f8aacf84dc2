"""Upcasters: each turns a payload of version N into version N+1, so old events read as new."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from events.payloads.config import LEGACY_PLACEHOLDER_PATH
from events.registry import LATEST_VERSION

JsonDict = dict[str, Any]
Upcaster = Callable[[JsonDict], JsonDict]


def _clip_task_succeeded_v1_to_v2(payload: JsonDict) -> JsonDict:
    """v1 measured seconds and had no fallback chain, so every v1 clip came from the remote."""
    upgraded = {k: v for k, v in payload.items() if k != "duration_s"}
    duration_s = payload.get("duration_s")
    if isinstance(duration_s, int | float):
        ms = duration_s * 1000
        if not math.isfinite(ms):
            # JSON's 1e400 reads as infinity, which has no whole number of milliseconds.
            raise ValueError(f"payload.duration_s: {duration_s!r} is not a finite duration")
        upgraded["duration_ms"] = round(ms)
    upgraded.setdefault("source_type", "remote")
    return upgraded


def _render_config_updated_v1_to_v2(payload: JsonDict) -> JsonDict:
    """v2 has no placeholder path: the value every producer of ours wrote goes; any other
    stays, so the v2 model rejects the update (a path chosen by whoever wrote the event)."""
    config = payload.get("config")
    if not isinstance(config, dict) or config.get("placeholder_asset_path") != (
        LEGACY_PLACEHOLDER_PATH
    ):
        return payload
    rest = {k: v for k, v in config.items() if k != "placeholder_asset_path"}
    return {**payload, "config": rest}


def _clip_task_started_v1_to_v2(payload: JsonDict) -> JsonDict:
    """v1 did not say which config version the attempt ran under: null, "not recorded"
    (0 would claim the embedded defaults)."""
    return {**payload, "config_version": None}


def _stored_objects_added(payload: JsonDict) -> JsonDict:
    """The next version may name objects in the store instead of paths; every payload of the
    version before is valid as it is (its paths stay, nothing is in the store)."""
    return payload


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    **{
        (event_type, 1): _stored_objects_added
        for event_type in (
            "RenderRequested",
            "RenderCompleted",
            "ClipTaskQueued",
            "BeatAnalysisRequested",
            "BeatAnalysisCompleted",
            "VideoGenerationRequested",
            "VideoGenerationCompleted",
        )
    },
    ("ClipTaskSucceeded", 1): _clip_task_succeeded_v1_to_v2,
    ("ClipTaskSucceeded", 2): _stored_objects_added,
    ("ClipTaskStarted", 1): _clip_task_started_v1_to_v2,
    ("RenderConfigUpdated", 1): _render_config_updated_v1_to_v2,
}


def upcast(event_type: str, version: int, payload: JsonDict) -> tuple[int, JsonDict]:
    """Apply the upcaster chain from `version` up to the type's latest version."""
    latest = LATEST_VERSION[event_type]
    while version < latest:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise LookupError(f"no upcaster from {event_type} v{version} to v{version + 1}")
        payload = step(payload)
        version += 1
    return version, payload
