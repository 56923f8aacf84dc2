"""Waiting for a freshly launched broker JVM to answer: polled states, never a fixed sleep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from events.kafka_credentials import KafkaCredentials
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.probe import ClusterInfo, probe_cluster
from local_stack.kafka.process import POLL_INTERVAL_S, BrokerProcess
from local_stack.kafka.properties import cluster_id_on_disk
from local_stack.ports import tcp_open


async def wait_answering(
    process: BrokerProcess,
    pid: int,
    deadline: float,
    address: tuple[str, int],
    log_dir: Path,
    credentials: KafkaCredentials,
    *,
    enough: Callable[[ClusterInfo], str | None] = lambda _info: None,
) -> ClusterInfo:
    """Poll every POLL_INTERVAL_S until the broker at `address` answers a metadata request.

    `enough` may ask for more than an answer: it returns what is still missing (a
    sentence), or None once the answer is the one wanted."""
    host, port = address
    bootstrap = f"{host}:{port}"
    expected_cluster = cluster_id_on_disk(log_dir)
    last_error: str = "no answer yet"
    while True:
        if not process.is_alive(pid):
            raise process.failure(f"The Kafka broker (pid {pid}) exited during start-up.", log_dir)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise process.failure(
                f"The Kafka broker (pid {pid}) did not answer a metadata request on "
                f"{bootstrap} in time (last error: {last_error}).",
                log_dir,
            )
        # A plain TCP check first: until the listener is bound, a Kafka client would
        # only log connection errors.
        if tcp_open(host, port):
            try:
                info = await probe_cluster(bootstrap, min(remaining, 5.0), credentials)
            except Exception as exc:  # not ready yet; keep polling until the deadline
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if expected_cluster is not None and info.cluster_id != expected_cluster:
                    raise KafkaBrokerError(
                        f"{bootstrap} is served by another Kafka cluster "
                        f"({info.cluster_id}, expected {expected_cluster}). Stop that "
                        "broker or choose another port."
                    )
                missing = enough(info)
                if missing is None:
                    return info
                last_error = missing
        await asyncio.sleep(POLL_INTERVAL_S)
