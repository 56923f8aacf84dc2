"""kcat (Debian's librdkafka client) as a Kafka client that is not ours."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

KCAT = shutil.which("kcat")
needs_kcat = pytest.mark.skipif(
    KCAT is None, reason="kcat is not installed (`make test` installs it)"
)


def kcat(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run kcat with these arguments; the result says whether it (and the broker) agreed."""
    assert KCAT is not None
    return subprocess.run([KCAT, *args], input=stdin, capture_output=True, text=True, timeout=60)


def kcat_produce(
    bootstrap: str, topic: str, key: str, value: str
) -> subprocess.CompletedProcess[str]:
    """Produce one keyed message as a foreign producer would."""
    # murmur2 is the Java client's partitioner, which our producers share.
    return kcat(
        "-P",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-K",
        "|",
        "-X",
        "topic.partitioner=murmur2_random",
        stdin=f"{key}|{value}\n",
    )


def foreign_event(
    event_type: str,
    version: int,
    key: str,
    payload: dict[str, Any],
    *,
    event_id: str,
    trace_id: str,
    occurred_at: str = "2026-12-01T06:00:00Z",
) -> dict[str, Any]:
    """An envelope as a producer that knows only the exported JSON Schemas writes it."""
    return {
        "event_id": event_id,
        "type": event_type,
        "version": version,
        "occurred_at": occurred_at,
        "trace_id": trace_id,
        "correlation_id": key,
        "causation_id": None,
        "key": key,
        "payload": payload,
    }
