"""An event as one flat row of its type's table: the envelope, then one column per payload field.

Pure: no Kafka, no files. The columns of a type come from its latest payload model, never from
the data, so every file of one table has the same schema and files union cleanly; an old
version is upcast by the codec before it gets here, so it lands in the latest version's table.

Scalars keep their type (text, whole numbers, decimals, true/false, UTC timestamps; enums as
their text). Nested models, lists and free-form objects (the EDL, clip_stats, a media list)
become JSON text: as structs their shape would follow each event (optional parts absent,
dictionaries with other keys), and two files of one table could then disagree on a column's
type. DuckDB reads the text with `json_extract` or `->>`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pyarrow as pa

from events.base import Envelope
from events.registry import LATEST_VERSION, REGISTRY

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UTC_TIME = pa.timestamp("us", tz="UTC")

# The envelope's columns, prefixed where a payload field may share the name (RenderConfigUpdated
# has its own `version`), then where the event sits in Kafka.
ENVELOPE_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("event_id", pa.string()),
    ("event_type", pa.string()),
    ("event_version", pa.int32()),
    ("occurred_at", UTC_TIME),
    ("trace_id", pa.string()),
    ("correlation_id", pa.string()),
    ("causation_id", pa.string()),
    ("event_key", pa.string()),
    ("kafka_topic", pa.string()),
    ("kafka_partition", pa.int32()),
    ("kafka_offset", pa.int64()),
)


class RowError(ValueError):
    """An event whose value does not fit its column (a whole number beyond 64 bits)."""


@dataclass(frozen=True)
class Position:
    """Where an event was read: its physical topic, partition and offset."""

    topic: str
    partition: int
    offset: int


def _scalar_type(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> pa.DataType | None:
    """The Arrow type of a JSON Schema property, or None when it is nested (stored as JSON)."""
    if "$ref" in prop:
        target = defs.get(str(prop["$ref"]).rsplit("/", 1)[-1], {})
        return pa.string() if "enum" in target and target.get("type") == "string" else None
    if "allOf" in prop and len(prop["allOf"]) == 1:
        return _scalar_type(prop["allOf"][0], defs)
    if "anyOf" in prop:
        kinds = [p for p in prop["anyOf"] if p.get("type") != "null"]
        found = [_scalar_type(p, defs) for p in kinds]
        if len(found) == 1:
            return found[0]
        if found and all(t in (pa.int64(), pa.float64()) for t in found):
            return pa.float64()
        return None
    kind = prop.get("type")
    if kind == "string":
        return UTC_TIME if prop.get("format") == "date-time" else pa.string()
    return {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}.get(str(kind))


@cache
def payload_columns(event_type: str) -> tuple[tuple[str, pa.DataType, bool], ...]:
    """(name, Arrow type, is JSON text) of each payload field of a type's latest version."""
    model = REGISTRY[(event_type, LATEST_VERSION[event_type])]
    schema = model.model_json_schema(mode="serialization")
    defs = schema.get("$defs", {})
    columns = []
    for name, prop in schema["properties"].items():
        scalar = _scalar_type(prop, defs)
        columns.append((name, scalar or pa.string(), scalar is None))
    return tuple(columns)


@cache
def table_schema(event_type: str) -> pa.Schema:
    """The Arrow schema of a type's table: the envelope's columns, then the payload's."""
    fields = [pa.field(n, t) for n, t in ENVELOPE_COLUMNS]
    fields += [pa.field(n, t) for n, t, _ in payload_columns(event_type)]
    return pa.schema(fields, metadata={"beatstitch.event_version": str(LATEST_VERSION[event_type])})


def _cell(name: str, value: Any, kind: pa.DataType, as_json: bool) -> Any:
    if value is None:
        return None
    if as_json:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if kind == UTC_TIME:
        return datetime.fromisoformat(value) if isinstance(value, str) else value
    if kind == pa.int64() and not INT64_MIN <= value <= INT64_MAX:
        raise RowError(f"{name} = {value} does not fit a 64-bit whole number")
    return value


def event_row(env: Envelope[Any], where: Position) -> dict[str, Any]:
    """One event as a flat row of its type's table (the envelope first, then the payload)."""
    row: dict[str, Any] = {
        "event_id": env.event_id,
        "event_type": env.type,
        "event_version": env.version,
        "occurred_at": env.occurred_at,
        "trace_id": env.trace_id,
        "correlation_id": env.correlation_id,
        "causation_id": env.causation_id,
        "event_key": env.key,
        "kafka_topic": where.topic,
        "kafka_partition": where.partition,
        "kafka_offset": where.offset,
    }
    payload = env.payload.model_dump(mode="json")
    for name, kind, as_json in payload_columns(env.type):
        row[name] = _cell(name, payload.get(name), kind, as_json)
    return row


def rows_table(event_type: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows of one type as an Arrow table with the type's fixed schema."""
    return pa.Table.from_pylist(rows, schema=table_schema(event_type))
