"""Settings of a worker process, from BEATSTITCH_* environment variables."""

from __future__ import annotations

import os
import socket

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class WorkerSettings(BaseSettings):
    """How one worker process joins the pipeline."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    worker_id: str = Field(default_factory=_default_worker_id)
    # Prometheus metrics of this process; 0 picks no port (metrics off).
    worker_metrics_port: int = 0
    # Small, so a worker joining or leaving a group settles in seconds, not the default 60.
    broker_rebalance_timeout_s: float = 10.0
    broker_session_timeout_s: float = 10.0
    # Intermediate clips go to <artifacts_dir>/render_tmp/job_<id>/, outputs to renders/.
    artifacts_dir: str = "artifacts"
    # Processes for CPU work; the config's max_parallelism (at most 6) decides how many run.
    process_pool_size: int = 6
    # Remote sources (HTTP/HLS): how long to wait for a connection and for each read.
    clip_connect_timeout_s: float = 10.0
    clip_read_timeout_s: float = 15.0
    # Clip tasks held but not running; when full, the clipper stops taking tasks from Kafka.
    clip_queue_limit: int = Field(default=256, ge=1)
    # On SIGTERM/SIGINT, how long running clip tasks may finish; the rest are cut short and
    # left unacked for the partition's next owner. 0: cut short at once, so no outcome ever
    # comes from a stopping worker.
    shutdown_grace_s: float = Field(default=0.0, ge=0)
