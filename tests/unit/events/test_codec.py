"""Codec, registry and upcaster behaviour, without Kafka."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from events.base import Payload, make_event
from events.codec import DecodeError, decode, encode
from events.payloads import ClipTaskStarted, ClipTaskSucceeded, ClipTaskSucceededV1, superseded
from events.payloads.common import SourceType
from events.registry import LATEST_VERSION, REGISTRY
from tests.support.samples import CLIP, sample_payloads

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_samples_cover_every_registered_type_and_version() -> None:
    assert {(p.event_type, p.event_version) for p in sample_payloads()} == set(REGISTRY)


@pytest.mark.parametrize(
    "payload", sample_payloads(), ids=lambda p: f"{p.event_type}.v{p.event_version}"
)
def test_round_trip_keeps_every_field(payload) -> None:
    env = make_event(payload, trace_id="trace-1", occurred_at=T0)
    back = decode(encode(env))
    if payload.event_version == LATEST_VERSION[payload.event_type]:
        assert back == env
    assert back.event_id == env.event_id and back.trace_id == "trace-1"
    assert back.key == payload.key()
    assert back.occurred_at == T0


def test_v1_clip_succeeded_reads_back_as_the_newest_version() -> None:
    v1 = make_event(ClipTaskSucceededV1(**CLIP, duration_s=1.2345, clip_path="c.mp4"), trace_id="t")
    back = decode(encode(v1))
    assert back.version == 3
    assert back.payload == ClipTaskSucceeded(
        **CLIP, source_type=SourceType.REMOTE, duration_ms=1234, clip_path="c.mp4"
    )


def test_v1_clip_started_reads_back_with_its_config_version_not_recorded() -> None:
    v1 = superseded.ClipTaskStarted(**CLIP, worker_id="w-1", slot=2, source_type=SourceType.LOCAL)
    back = decode(encode(make_event(v1, trace_id="t")))
    assert back.version == 2 and back.payload == ClipTaskStarted(
        **CLIP, worker_id="w-1", slot=2, source_type=SourceType.LOCAL, config_version=None
    )


def test_a_v2_clip_started_must_say_its_config_version() -> None:
    wire = json.loads(encode(make_event(sample_of("ClipTaskStarted", 2), trace_id="t")))
    del wire["payload"]["config_version"]
    with pytest.raises(DecodeError) as info:
        decode(json.dumps(wire).encode())
    assert "payload.config_version: Field required" in info.value.reason


def sample_of(event_type: str, version: int) -> Payload:
    return next(
        p for p in sample_payloads() if (p.event_type, p.event_version) == (event_type, version)
    )


def test_occurred_at_is_normalised_to_utc() -> None:
    env = make_event(sample_payloads()[1], trace_id="t", occurred_at=T0)
    wire = json.loads(encode(env))
    wire["occurred_at"] = "2026-01-02T05:04:05+02:00"
    assert decode(json.dumps(wire).encode()).occurred_at == T0


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_outside_what_utc_can_hold_is_an_invalid_event(occurred_at: str) -> None:
    # Once an OverflowError out of decode: every agent dead-lettered it as its own bug, and
    # the projector, which expects DecodeError only, stopped on it again at each restart.
    wire = json.loads(encode(make_event(sample_payloads()[1], trace_id="t")))
    wire["occurred_at"] = occurred_at
    with pytest.raises(DecodeError) as info:
        decode(json.dumps(wire).encode())
    assert "occurred_at" in info.value.reason
    assert "outside the dates UTC can hold" in info.value.reason


@pytest.mark.parametrize("duration_s", ["1e400", "1e306", "NaN", "-Infinity"])
def test_a_v1_clip_duration_without_a_finite_value_is_an_invalid_event(duration_s: str) -> None:
    v1 = make_event(ClipTaskSucceededV1(**CLIP, duration_s=1.5, clip_path="c.mp4"), trace_id="t")
    raw = encode(v1).replace(b'"duration_s":1.5', f'"duration_s":{duration_s}'.encode())
    assert duration_s.encode() in raw
    with pytest.raises(DecodeError) as info:
        decode(raw)
    # What the dead-letter topic says: the event as written and the field at fault.
    assert info.value.reason.startswith("invalid ClipTaskSucceeded v1: payload.duration_s")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_ms", "1" + "0" * 400),  # passed before, then overflowed the clip stats
        ("duration_ms", str(2**31)),  # past a PostgreSQL INTEGER column
        ("segment_index", str(2**31)),
        ("attempt", "-1"),
    ],
)
def test_an_integer_out_of_the_columns_range_is_an_invalid_event(field: str, value: str) -> None:
    done = ClipTaskSucceeded(**CLIP, source_type=SourceType.LOCAL, duration_ms=5, clip_path="c.mp4")
    env = make_event(done, trace_id="t")
    wire = encode(env).decode()
    wire = wire.replace(f'"{field}":{getattr(env.payload, field)}', f'"{field}":{value}', 1)
    assert value in wire
    with pytest.raises(DecodeError) as info:
        decode(wire.encode())
    assert info.value.reason.startswith(f"invalid ClipTaskSucceeded v3: payload.{field}")


def test_a_float_that_is_not_finite_is_an_invalid_event() -> None:
    env = make_event(sample_payloads()[2], trace_id="t")  # RenderProgress
    raw = encode(env).replace(b'"progress":', b'"progress":NaN,"_":', 1)
    wire = json.loads(raw)
    wire.pop("_", None)
    wire["payload"].pop("_", None)
    with pytest.raises(DecodeError, match="payload.progress"):
        decode(json.dumps(wire).encode())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b"\xff\xfe garbage", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "Nope", "version": 1, "payload": {}}', "unknown event Nope v1"),
        (b'{"version": 1}', "missing or malformed 'type'/'version'"),
    ],
)
def test_undecodable_messages_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert reason in info.value.reason


def test_out_of_range_field_is_named_in_the_reason() -> None:
    env = make_event(sample_payloads()[2], trace_id="t")  # RenderProgress
    wire = json.loads(encode(env))
    wire["payload"]["progress"] = 140
    with pytest.raises(DecodeError) as info:
        decode(json.dumps(wire).encode())
    # What the dead-letter topic tells a person: the event, the field and the rule broken.
    assert "invalid RenderProgress v1: payload.progress" in info.value.reason
    assert "less than or equal to 100" in info.value.reason


def test_unknown_field_is_rejected() -> None:
    env = make_event(sample_payloads()[1], trace_id="t")
    wire = json.loads(encode(env))
    wire["payload"]["surprise"] = 1
    with pytest.raises(DecodeError, match="payload.surprise"):
        decode(json.dumps(wire).encode())


@pytest.mark.parametrize(
    "payload", sample_payloads(), ids=lambda p: f"{p.event_type}.v{p.event_version}"
)
def test_any_key_order_decodes_to_the_same_event(payload) -> None:
    """Other producers need not order keys as we do (we peek at type/version for speed)."""
    env = make_event(payload, trace_id="t", occurred_at=T0)
    wire = json.loads(encode(env))
    reordered = json.dumps(dict(reversed(list(wire.items())))).encode()
    spaced = json.dumps(wire, indent=2).encode()
    assert decode(reordered) == decode(spaced) == decode(encode(env))


@pytest.mark.parametrize(
    "payload", [p for p in sample_payloads() if p.event_version < LATEST_VERSION[p.event_type]]
)
def test_an_older_version_reads_back_as_the_newest_with_its_paths(payload: Payload) -> None:
    # Events written before the store keep their paths; nothing claims to be in the store.
    back = decode(encode(make_event(payload, trace_id="t")))
    assert back.version == LATEST_VERSION[payload.event_type]
    newest = back.payload.model_dump()
    for name, value in payload.model_dump().items():
        if name in newest and not isinstance(value, dict | list):
            assert newest[name] == value, name
    for name in ("stored", "clip", "beat_grid", "thumbnail"):
        assert newest.get(name) is None


def test_a_newest_event_names_objects_by_key_and_no_path() -> None:
    from events.payloads import RenderRequested

    rr = next(p for p in sample_payloads() if isinstance(p, RenderRequested))
    back = decode(encode(make_event(rr, trace_id="t"))).payload
    assert back.audio.path is None and back.audio.stored.key == "projects/proj-1/media/vid-1.mp4"
    assert back.media[0].proxies[0].width == 1280


def test_a_render_request_whose_music_is_nowhere_is_malformed() -> None:
    from events.payloads import RenderRequested

    rr = next(p for p in sample_payloads() if isinstance(p, RenderRequested))
    wire = json.loads(encode(make_event(rr, trace_id="t")))
    del wire["payload"]["audio"]["stored"]
    with pytest.raises(DecodeError, match="the music needs a path or a stored object"):
        decode(json.dumps(wire).encode())
