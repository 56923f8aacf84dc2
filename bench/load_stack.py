"""The load bench's processes: a throwaway stack to drive, and its memory and database handles.

The services run as in production (`beatstitch projector|api|worker`), each in its own
process group; RSS is summed over each service's process tree (the worker's render pool
included), sampled every 0.5 s, plus the main processes' own VmHWM at the end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.support import kafka
from events.kafka_io import ensure_topics
from local_stack.services import run_services


def _status_kb(pid: int, key: str) -> int:
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), 0 if the process is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def _children() -> dict[int, list[int]]:
    """Each process's children, from /proc/*/stat."""
    found: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            found.setdefault(ppid, []).append(int(stat.parent.name))
    return found


def _tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    todo, seen = [pid], []
    while todo:
        current = todo.pop()
        seen.append(current)
        todo.extend(children.get(current, []))
    return seen


def _db_handles(pid: int, database: Path) -> int:
    """File descriptors of a process open on the database file: its SQLite connections."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        with contextlib.suppress(OSError):
            count += os.readlink(fd) == str(database)
    return count


class Sampler(threading.Thread):
    """Every 0.5 s: RSS of each service's process tree, and the API's database handles."""

    def __init__(self, pids: dict[str, int], database: Path | None) -> None:
        super().__init__(daemon=True)
        self.pids, self.database = pids, database
        self.peak_rss_kb: dict[str, int] = dict.fromkeys(pids, 0)
        self.peak_db_handles = 0
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._halt.wait(0.5):
            children = _children()
            for name, pid in self.pids.items():
                tree = sum(_status_kb(p, "VmRSS") for p in _tree(pid, children))
                self.peak_rss_kb[name] = max(self.peak_rss_kb[name], tree)
            if self.database is not None and "api" in self.pids:
                handles = _db_handles(self.pids["api"], self.database)
                self.peak_db_handles = max(self.peak_db_handles, handles)

    def finish(self) -> None:
        """Stop sampling; fold in the main processes' own high-water marks."""
        self._halt.set()
        self.join()
        for name, pid in self.pids.items():
            self.peak_rss_kb[name] = max(self.peak_rss_kb[name], _status_kb(pid, "VmHWM"))


@dataclass(frozen=True)
class Throwaway:
    """A running throwaway stack: where to reach it and what its processes are."""

    api_url: str
    pids: dict[str, int]
    database: Path
    media: Path
    bootstrap: str
    prefix: str


@contextlib.contextmanager
def throwaway_stack(workers: int, logs: Path | None) -> Iterator[Throwaway]:
    """Kafka, fresh topics, a SQLite database and the services, in a temporary folder."""
    with kafka() as bootstrap, tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        root = Path(tmp)
        prefix = f"load{uuid.uuid4().hex[:8]}"
        asyncio.run(ensure_topics(bootstrap, prefix))
        database = root / "beatstitch.db"
        env = {
            "BEATSTITCH_TOPIC_PREFIX": prefix,
            "BEATSTITCH_DATABASE_URL": f"sqlite:///{database}",
            "BEATSTITCH_MEDIA_DIR": str(root / "media"),
            "BEATSTITCH_ARTIFACTS_DIR": str(root / "artifacts"),
        }
        # run_services passes this process's environment on to the services.
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with run_services(bootstrap, logs or root / "logs", workers=workers) as stack:
                print(f"stack: API at {stack.api_url}, logs in {stack.logs}")
                pids = {name: proc.pid for name, proc in stack.procs.items()}
                yield Throwaway(stack.api_url, pids, database, root / "media", bootstrap, prefix)
                stack.check()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
