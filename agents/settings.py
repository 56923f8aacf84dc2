"""Settings of a worker process, from BEATSTITCH_* environment variables."""

from __future__ import annotations

import os
import socket

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.retention import Retention


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
    # The API's uploads (the API's own setting): local paths in events must resolve inside
    # this folder or artifacts_dir, or they are not read (path_outside_root).
    media_dir: str = ".data/media"
    # Remote sources are fetched over http(s) from public addresses only; hosts named here
    # (comma-separated `host` or `host:port`) are fetched wherever they resolve to.
    remote_hosts_allowed: str = ""
    # Processes for CPU work; the config's max_parallelism (at most 6) decides how many run.
    process_pool_size: int = 6
    # Remote sources (HTTP/HLS): how long to wait for a connection and for each read.
    clip_connect_timeout_s: float = 10.0
    clip_read_timeout_s: float = 15.0
    # A render that has not ended this long after its request fails with error_code
    # "deadline". Unset: a base plus a multiple of the timeline's length (below).
    render_deadline_s: float | None = None
    # The base covers a clip task's worst path (remote retries with their timeouts, then the
    # local copy and the placeholder) behind a queue of other renders; the multiple covers
    # encoding, which grows with the timeline (a busy 2-core worker encodes well within 20x).
    render_deadline_base_s: float = 600.0
    render_deadline_per_timeline_s: float = 20.0
    # Clip tasks held but not running; when full, the clipper stops taking tasks from Kafka.
    clip_queue_limit: int = Field(default=256, ge=1)
    # The planner's own cap (the API has the same one): a producer that is not ours may
    # send an EDL of any length that fits in a Kafka message.
    max_segments: int = Field(default=1000, ge=1)
    # On SIGTERM/SIGINT, how long running clip tasks may finish; the rest are cut short and
    # left unacked for the partition's next owner. 0: cut short at once, so no outcome ever
    # comes from a stopping worker.
    shutdown_grace_s: float = Field(default=0.0, ge=0)
    # How long a worker waits for the broker to acknowledge an event it sends; past it the
    # producer is made anew and the work behind the event runs again (at-least-once).
    send_deadline_s: float = Field(default=30.0, gt=0)
    # How often the worker removes what retention allows (agents/disk_gc.py); 0: never.
    gc_interval_s: float = Field(default=3600.0, ge=0)


class RetentionSettings(BaseSettings):
    """How long files are kept after they were last written (`beatstitch gc` and the worker)."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    # Outputs of ended renders; each project's newest render stays whatever its age, unless
    # retain_newest_render is off.
    retain_renders_days: float = Field(default=30.0, ge=0)
    retain_newest_render: bool = True
    # render_tmp folders of ended renders, `.incoming-*` uploads and `.tmp` files of atomic
    # writes; a file being written is touched all the time, so a day means abandoned.
    retain_tmp_hours: float = Field(default=24.0, ge=0)
    # Uploaded audio that no project uses any more (replaced by a newer upload).
    retain_audio_days: float = Field(default=7.0, ge=0)
    # Cached beat grids of tracks that are no project's current audio.
    retain_beat_grids_days: float = Field(default=30.0, ge=0)

    def retention(self) -> Retention:
        """The planner's view of these settings, in seconds."""
        return Retention(
            renders_s=self.retain_renders_days * 86400,
            tmp_s=self.retain_tmp_hours * 3600,
            beat_grids_s=self.retain_beat_grids_days * 86400,
            audio_s=self.retain_audio_days * 86400,
            keep_newest_render=self.retain_newest_render,
        )
