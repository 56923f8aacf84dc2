"""Every id of the catalog has one strict shape, so no id from the log can name a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events.base import make_event
from events.codec import DecodeError, decode, encode
from events.ids import is_id
from events.payloads import RenderCancelled

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


@pytest.mark.parametrize(
    "value",
    [
        "job-crash",
        "job-b-seg0000",
        "0c5d1c9e-6b0a-4c53-9a57-1f6e7d1e2a3b",
        "prj-0123456789abcdef",
        "render_clip_config",
        "host.example-1234",
        "a",
    ],
)
def test_every_id_the_system_makes_is_valid(value: str) -> None:
    assert is_id(value)


@pytest.mark.parametrize(
    "value",
    ["", "x/../../etc", "..", "a..b", ".hidden", "-rf", "a/b", "a\\b", "job 1", "a.", "x" * 129],
)
def test_ids_that_could_name_another_path_are_refused(value: str) -> None:
    assert not is_id(value)


def test_an_event_with_a_traversing_job_id_does_not_decode() -> None:
    """A foreign producer's render_job_id "x/../../tmp" is a decoding failure (dead letter)."""
    cancel = RenderCancelled(render_job_id="job-a", requested_by="u-1")
    raw = encode(make_event(cancel, trace_id="t")).replace(b'"job-a"', b'"x/../../tmp"')
    with pytest.raises(DecodeError, match="should match pattern"):
        decode(raw)


def test_the_exported_schemas_carry_the_id_pattern() -> None:
    schema = json.loads((SCHEMAS / "RenderRequested.v1.schema.json").read_text())
    text = json.dumps(schema)
    for field in ("render_job_id", "workspace_id", "project_id", "event_id", "asset_id"):
        assert field in text
    assert text.count('"pattern": "^[A-Za-z0-9](?:\\\\.?[A-Za-z0-9_-])*$"') >= 6
