"""Asking a Kafka cluster what it is: one metadata request, answered by a broker or not."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from events.kafka_credentials import KafkaCredentials, aiokafka_options
from local_stack.errors import KafkaBrokerError

T = TypeVar("T")


@dataclass(frozen=True)
class ClusterInfo:
    """The answer of a Kafka metadata request: cluster id, controller and broker addresses."""

    cluster_id: str | None
    controller_id: int | None
    brokers: tuple[str, ...]


async def probe_cluster(
    bootstrap: str, timeout_s: float = 5.0, credentials: KafkaCredentials | None = None
) -> ClusterInfo:
    """Send one Kafka metadata request to `bootstrap` and return what the cluster says."""
    # Imported here so `beatstitch --help` does not pay for aiokafka's import.
    from aiokafka.admin import AIOKafkaAdminClient

    timeout_ms = max(500, int(timeout_s * 1000))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=timeout_ms,
        client_id="beatstitch-kafka-probe",
        **aiokafka_options(credentials),
    )
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            described = await admin.describe_cluster()
    finally:
        await admin.close()
    brokers = tuple(f"{b['host']}:{b['port']}" for b in described.get("brokers", []))
    if not brokers:
        raise KafkaBrokerError(f"The Kafka cluster at {bootstrap} answered with no brokers.")
    return ClusterInfo(
        cluster_id=described.get("cluster_id"),
        controller_id=described.get("controller_id"),
        brokers=brokers,
    )


def check_cluster(
    bootstrap: str, timeout_s: float = 5.0, credentials: KafkaCredentials | None = None
) -> ClusterInfo:
    """Synchronously probe `bootstrap`; raise KafkaBrokerError if no broker answers."""
    try:
        return run_sync(probe_cluster(bootstrap, timeout_s, credentials))
    except KafkaBrokerError:
        raise
    except Exception as exc:  # any client error means "not reachable" to the caller
        raise KafkaBrokerError(
            f"No Kafka broker answered at {bootstrap} ({type(exc).__name__}: {exc}). "
            "Check that the cluster is up and the address is right."
        ) from exc


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from async code (e.g. an async test): asyncio.run() would refuse to nest, so
    # run the coroutine on its own loop in a worker thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
