"""The services on this machine for one command: projector, API and workers as child processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from local_stack.errors import ServiceError
from local_stack.pipeline_check import pipeline_problems, pipeline_state
from local_stack.ports import free_tcp_ports

# The `beatstitch` console script that `pip install -e .` put beside this Python.
BEATSTITCH = str(Path(sys.executable).parent / "beatstitch")


# How often check() asks the API what it can reach, and how long a part may stay unreachable
# before a command gives up on it (a leader election or a restart takes seconds).
HEALTH_EVERY_S = 3.0
UNREACHABLE_FOR_S = 8.0


@dataclass
class LocalStack:
    """Where the running API answers, and where the services write their logs."""

    api_url: str
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]]
    _asked_at: float = 0.0
    _down_since: dict[str, float] = field(default_factory=dict)
    _pipeline: dict[str, Any] | None = None
    _stuck_since: dict[str, float] = field(default_factory=dict)

    def check(self) -> None:
        """Raise a ServiceError if a service stopped, or if Kafka or the database has not
        answered the API for UNREACHABLE_FOR_S: the part that is down, named within seconds."""
        check_alive(self.procs, self.logs)
        now = time.monotonic()
        if now - self._asked_at < HEALTH_EVERY_S:
            return
        self._asked_at = now
        down = unreachable_parts(self.api_url)
        # A part that answers again starts its count afresh.
        self._down_since = {part: self._down_since.get(part, now) for part in down}
        for part, state in down.items():
            if now - self._down_since[part] >= UNREACHABLE_FOR_S:
                raise ServiceError(_down_sentence(part, state, now - self._down_since[part]))
        if down:
            self._stuck_since = {}  # no worker or projector can move without Kafka and the database
        else:
            self._check_pipeline(now)

    def _check_pipeline(self, now: float) -> None:
        """Raise a ServiceError when no worker is in its group, or the projector folds nothing
        while events wait, for longer than a start or a busy moment takes."""
        state = pipeline_state(self.api_url)
        if state is None:
            return
        problems = pipeline_problems(state, self._pipeline)
        self._pipeline = state
        # A problem that clears starts its count afresh.
        self._stuck_since = {name: self._stuck_since.get(name, now) for name in problems}
        for name, (allowed_s, sentence) in problems.items():
            if now - self._stuck_since[name] >= allowed_s:
                raise ServiceError(sentence)


def unreachable_parts(api_url: str) -> dict[str, str]:
    """What the API's /healthz says it cannot reach ({} when all is well or it cannot tell)."""
    try:
        answer = httpx.get(f"{api_url}/healthz", timeout=10)
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return {}
    if answer.status_code == 200 or not isinstance(body, dict):
        return {}
    return {
        part: str(body[part])
        for part in ("kafka", "database")
        if part in body and body[part] != "ok"
    }


def _down_sentence(part: str, state: str, for_s: float) -> str:
    if part == "kafka":
        return (
            f"Kafka has not answered the API for {for_s:.0f} s ({state}); is the broker "
            "running? Check with `beatstitch kafka status`, start it with "
            "`beatstitch kafka start`."
        )
    return (
        f"the database has not answered the API for {for_s:.0f} s ({state}); check "
        "BEATSTITCH_DATABASE_URL and that the database server runs."
    )


@contextlib.contextmanager
def run_services(
    bootstrap: str, logs: Path, workers: int = 1, port: int = 0
) -> Iterator[LocalStack]:
    """Start the projector, the API (on `port`, 0: a free one) and the workers; stop them
    afterwards."""
    logs.mkdir(parents=True, exist_ok=True)
    if not port:
        (port,) = free_tcp_ports(1)
    env = {**os.environ, "BEATSTITCH_KAFKA_BOOTSTRAP": bootstrap, "BEATSTITCH_API_PORT": str(port)}
    names = ["projector", "api", *(f"worker-{i + 1}" for i in range(workers))]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in names:
            command = name.split("-")[0]
            worker_env = {"BEATSTITCH_WORKER_ID": f"local-{name}"} if command == "worker" else {}
            with (logs / f"{name}.log").open("wb") as log:
                procs[name] = subprocess.Popen(
                    [BEATSTITCH, command],
                    env={**env, **worker_env},
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    start_new_session=True,
                )
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, procs, logs)
        yield LocalStack(url, logs, procs)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def check_alive(procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    """Raise a ServiceError naming the first service that stopped, and its log."""
    for name, proc in procs.items():
        if proc.poll() is not None:
            raise ServiceError(
                f"the {name} process stopped (exit code {proc.returncode}); "
                f"its log is {logs / f'{name}.log'}"
            )


def wait_healthy(
    url: str, procs: dict[str, subprocess.Popen[bytes]], logs: Path, timeout_s: float = 90
) -> None:
    """Wait until the API's /healthz answers 200; ServiceError if a service stops or time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        check_alive(procs, logs)
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise ServiceError(
        f"the API did not answer at {url} within {timeout_s:g} s; see {logs / 'api.log'}"
    )
