"""The JSON Schema of a project's render settings as the API documents them.

RenderSettings checks its ranges in validators that name both bounds in their message,
which pydantic cannot show in a JSON Schema; the document states them here (a unit test
holds them to what the model accepts), so a client learns a width's range from the document
instead of from a 422. A PATCH sends any part of the settings, so its schema has nothing
required and no defaults.
"""

from __future__ import annotations

from typing import Any

from engine.render_settings import RenderSettings

# (section, field) -> (lowest, highest, even only)
BOUNDS: dict[tuple[str, str], tuple[int, int, bool]] = {
    ("output", "width"): (160, 3840, True),
    ("output", "height"): (120, 2160, True),
    ("output", "fps"): (12, 60, False),
    ("transition", "duration_ms"): (0, 2000, False),
    ("beatless", "cut_ms"): (1000, 60_000, False),
}


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    # Refs point into the model's own $defs, which a schema embedded in the document lacks.
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return _inlined(defs[ref.rsplit("/", 1)[-1]], defs)
        return {k: _inlined(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inlined(v, defs) for v in node]
    return node


def _partial(node: dict[str, Any]) -> dict[str, Any]:
    node = {k: v for k, v in node.items() if k not in ("required", "default")}
    if "properties" in node:
        node["properties"] = {k: _partial(v) for k, v in node["properties"].items()}
    return node


def settings_schema(*, partial: bool) -> dict[str, Any]:
    """RenderSettings' JSON Schema, self-contained, with its ranges; `partial` for a PATCH."""
    raw = RenderSettings.model_json_schema()
    schema: dict[str, Any] = _inlined(raw, raw.get("$defs", {}))
    for (section, field), (lo, hi, even) in BOUNDS.items():
        prop = schema["properties"][section]["properties"][field]
        prop.update(minimum=lo, maximum=hi)
        if even:
            prop["multipleOf"] = 2
    return _partial(schema) if partial else schema
