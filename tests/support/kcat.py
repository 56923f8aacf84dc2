"""kcat (Debian's librdkafka client) as a Kafka client that is not ours."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, Literal

import pytest

from events.kafka_credentials import KafkaCredentials, client_credentials, librdkafka_options
from events.settings import KafkaSettings
from local_stack.kcat_library import kcat_environment

KCAT = shutil.which("kcat")
needs_kcat = pytest.mark.skipif(
    KCAT is None, reason="kcat is not installed (`make test` installs it)"
)


def kcat(
    *args: str,
    stdin: str | None = None,
    credentials: KafkaCredentials | None | Literal["settings"] = "settings",
    timeout_s: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run kcat with these arguments; the result says whether it (and the broker) agreed.

    It logs in as `credentials`: by default the session's (the service principal of the
    test brokers), None for an anonymous client."""
    assert KCAT is not None
    if credentials == "settings":
        credentials = client_credentials()
    auth = [f"-X{key}={value}" for key, value in librdkafka_options(credentials).items()]
    return subprocess.run(
        [KCAT, *auth, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, **kcat_environment(KafkaSettings().data_dir)},
    )


def kcat_produce(
    bootstrap: str,
    topic: str,
    key: str,
    value: str,
    credentials: KafkaCredentials | None | Literal["settings"] = "settings",
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
        credentials=credentials,
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
