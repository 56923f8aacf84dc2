"""JSON codec: envelopes to bytes and back, upcasting old versions on read."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from events.base import Envelope, envelope_model
from events.registry import LATEST_VERSION, REGISTRY
from events.topics import Topic
from events.upcasters import upcast


class DecodeError(ValueError):
    """A message that is not a valid event; `reason` says why, for the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(envelope: Envelope[Any]) -> bytes:
    """Serialise an envelope to its canonical wire JSON."""
    return envelope.model_dump_json().encode()


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(root)"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


# Our encoder writes "type" and "version" side by side near the start; peeking at them lets
# pydantic parse the bytes in one pass. Any other layout takes the general path.
_HEAD = re.compile(rb'"type":\s*"([A-Za-z0-9_]+)",\s*"version":\s*([0-9]+)')


def _decode_fast(raw: bytes) -> Envelope[Any] | None:
    head = _HEAD.search(raw, 0, 512)
    if head is None:
        return None
    event_type, version = head.group(1).decode(), int(head.group(2))
    if LATEST_VERSION.get(event_type) != version:
        return None
    try:
        env = envelope_model(REGISTRY[(event_type, version)]).model_validate_json(raw)
    except ValidationError:
        return None  # the general path says precisely what is wrong
    # The peek may have hit a "type" nested in the payload; only trust a consistent answer.
    return env if (env.type, env.version) == (event_type, version) else None


def decode(raw: bytes | None) -> Envelope[Any]:
    """Parse wire bytes into a typed envelope of the latest payload version."""
    if not raw:
        raise DecodeError("empty message")
    fast = _decode_fast(raw)
    if fast is not None:
        return fast
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DecodeError("not a JSON object")
    event_type, version, payload = data.get("type"), data.get("version"), data.get("payload")
    if not isinstance(event_type, str) or not isinstance(version, int):
        raise DecodeError("missing or malformed 'type'/'version' in envelope")
    if (event_type, version) not in REGISTRY:
        raise DecodeError(f"unknown event {event_type} v{version}")
    if not isinstance(payload, dict):
        raise DecodeError(f"{event_type} v{version}: payload is not a JSON object")
    if version < LATEST_VERSION[event_type]:
        try:
            version, payload = upcast(event_type, version, payload)
        except LookupError as exc:
            raise DecodeError(str(exc)) from exc
        except (ValueError, ArithmeticError) as exc:
            # An upcaster meets the old payload before any validation: whatever it cannot
            # convert is an invalid event, never an exception for the consumer to die of.
            raise DecodeError(f"invalid {event_type} v{version}: {exc}") from exc
        data = {**data, "version": version, "payload": payload}
    model = envelope_model(REGISTRY[(event_type, version)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DecodeError(f"invalid {event_type} v{version}: {_describe(exc)}") from exc


def check_placement(env: Envelope[Any], topic: Topic | None, key: bytes | None) -> None:
    """Reject an event that sits on the wrong topic or under the wrong key: folds rely on both."""
    if topic != env.payload.topic:
        where = topic.value if topic else "an unknown topic"
        raise DecodeError(f"{env.type} belongs on {env.payload.topic.value}, found on {where}")
    if key is None or key.decode(errors="replace") != env.key:
        shown = None if key is None else key.decode(errors="replace")
        raise DecodeError(
            f"{env.type}: Kafka key {shown!r} does not match envelope key {env.key!r}"
        )
