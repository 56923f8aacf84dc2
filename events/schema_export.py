"""JSON Schema of every event type and version, for producers and consumers in any language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from events.codec import envelope_model
from events.dead_letter import DeadLetter
from events.registry import REGISTRY

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(event_type: str, version: int) -> dict[str, Any]:
    """Return the JSON Schema of one event's full wire envelope."""
    model = REGISTRY[(event_type, version)]
    schema = envelope_model(model).model_json_schema(mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = f"beatstitch/events/{event_type}.v{version}.schema.json"
    schema["title"] = f"{event_type} v{version}"
    schema["description"] = (
        f"{(model.__doc__ or '').strip()} Topic: <prefix>.{model.topic.value}; "
        f"Kafka key: payload.{model.key_field}."
    )
    props = schema["properties"]
    props["type"] = {"const": event_type, "title": "Type"}
    props["version"] = {"const": version, "title": "Version"}
    props["occurred_at"]["description"] = "UTC time, RFC 3339 with offset."
    return schema


def schema_file_name(event_type: str, version: int) -> str:
    """Return the file name of one event's schema."""
    return f"{event_type}.v{version}.schema.json"


def render_schema(schema: dict[str, Any]) -> str:
    """Serialise a schema the way it is stored: stable key order, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def all_schemas() -> dict[str, str]:
    """Return every schema file's name and text, dead-letter record included."""
    files = {
        schema_file_name(t, v): render_schema(event_schema(t, v)) for (t, v) in sorted(REGISTRY)
    }
    dead = DeadLetter.model_json_schema()
    dead["$schema"] = SCHEMA_DIALECT
    dead["title"] = "DeadLetter"
    files["DeadLetter.schema.json"] = render_schema(dead)
    return files


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every schema into a directory; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_schemas().items():
        path = out_dir / name
        path.write_text(text)
        written.append(path)
    return written
