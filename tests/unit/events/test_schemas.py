"""The exported JSON Schemas match the code and accept what the codec writes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from events.base import make_event
from events.codec import encode
from events.schema_export import all_schemas, schema_file_name
from tests.support.samples import sample_payloads

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


def test_committed_schemas_are_up_to_date() -> None:
    expected = all_schemas()
    on_disk = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    stale = sorted(n for n in expected if on_disk.get(n) != expected[n])
    extra = sorted(set(on_disk) - set(expected))
    assert not stale and not extra, (
        f"schemas/ is out of date (stale: {stale}, extra: {extra}); "
        "run `beatstitch events schema --out schemas`"
    )


@pytest.mark.parametrize(
    "payload", sample_payloads(), ids=lambda p: f"{p.event_type}.v{p.event_version}"
)
def test_encoded_events_validate_against_their_schema(payload) -> None:
    schema = json.loads(all_schemas()[schema_file_name(payload.event_type, payload.event_version)])
    wire = json.loads(encode(make_event(payload, trace_id="t")))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        wire
    )


def test_schema_rejects_a_wrong_type_constant() -> None:
    payload = sample_payloads()[1]
    schema = json.loads(all_schemas()[schema_file_name(payload.event_type, 1)])
    wire = json.loads(encode(make_event(payload, trace_id="t")))
    wire["type"] = "RenderFailed"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wire, schema)
