"""A real worker process (`beatstitch worker`) whose JSON log lines a test can wait for."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from tests.support.cli import BEATSTITCH

# Four pool processes, not the default six: the config's default max_parallelism (4) runs
# as many, and on two cores the last two only slow each worker's start by seconds.
TEST_POOL = {"BEATSTITCH_PROCESS_POOL_SIZE": "4"}

Match = Callable[[dict[str, Any]], bool]


class WorkerProcess:
    """Collects the worker's JSON log lines as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            text = line.decode(errors="replace").rstrip()
            self.raw.append(text)
            with contextlib.suppress(json.JSONDecodeError):
                parsed = json.loads(text)
                if isinstance(parsed, dict):
                    self.lines.append(parsed)
            self._new.set()

    async def wait_for(self, match: Match, timeout_s: float = 60.0) -> dict[str, Any]:
        """Return the first log line that matches, waiting for it if need be."""
        try:
            async with asyncio.timeout(timeout_s):
                return await self._first(match)
        except TimeoutError:
            raise AssertionError(
                f"no matching worker log line within {timeout_s} s; it said:\n{self.output()}"
            ) from None

    async def _first(self, match: Match) -> dict[str, Any]:
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if match(line):
                    return line
            seen = len(self.lines)
            if self.proc.returncode is not None:
                raise AssertionError("worker exited:\n" + self.output())
            self._new.clear()
            await self._new.wait()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as a crashed machine would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def output(self) -> str:
        """The last lines the worker wrote, for failure messages."""
        return "\n".join(self.raw[-40:])


@contextlib.asynccontextmanager
async def running_worker(
    env: dict[str, str], cwd: Path | None = None
) -> AsyncIterator[WorkerProcess]:
    """Start `beatstitch worker`, yield it, then stop it (SIGTERM, then SIGKILL)."""
    proc = await asyncio.create_subprocess_exec(
        BEATSTITCH,
        "worker",
        cwd=cwd,
        # Its own process group: the worker and its pool processes live and die together.
        start_new_session=True,
        env={**os.environ, **TEST_POOL, **env, "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    worker = WorkerProcess(proc)
    try:
        yield worker
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                worker.kill()
                await proc.wait()
        worker._reader.cancel()


def pool_processes(parent: int) -> list[int]:
    """The worker's process pool children (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found
