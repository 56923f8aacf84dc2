"""The service as the fault suite runs it: a projector and named workers as real processes
on one topic prefix, folding into a SQLite read model in the test's folder."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import RenderRequested
from tests.support.api_stack import log_tail, service
from tests.support.ledger import RENDER_ENDS, Ledger, read_ledger
from tests.support.pipeline import worker_env
from tests.support.worker import WorkerProcess, running_worker

COMPLETED = "render_worker.clip_task_completed"


@dataclass
class FaultStack:
    """The running processes and where they write."""

    bootstrap: str
    prefix: str
    env: dict[str, str]
    root: Path
    db_url: str
    workers: dict[str, WorkerProcess] = field(default_factory=dict)

    async def send(self, request: RenderRequested, trace_id: str) -> None:
        """Produce a render request, as the API does once it accepted one."""
        async with EventProducer(self.bootstrap, self.prefix) as producer:
            await producer.send(make_event(request, trace_id=trace_id))

    def clips_done(self) -> int:
        """Clip tasks the workers finished so far, from their logs."""
        return sum(ln["event"] == COMPLETED for w in self.workers.values() for ln in w.lines)

    async def until_clips_done(self, n: int, timeout_s: float = 120) -> None:
        """Wait until the workers finished `n` clips between them."""
        async with asyncio.timeout(timeout_s):
            while self.clips_done() < n:
                await asyncio.sleep(0.1)

    async def until_ended(self, jobs: set[str], timeout_s: float = 240) -> None:
        """Wait until the log holds an end for every one of `jobs`."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            ledger = await read_ledger(self.bootstrap, self.prefix)
            ended = {e.payload.render_job_id for e in ledger.of_type(*RENDER_ENDS)}
            if jobs <= ended:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(unended_report(ledger, jobs - ended, self.root / "logs"))
            await asyncio.sleep(1)

    def save_worker_logs(self) -> None:
        """Write each worker's log to logs/NAME.log, to read after a failure."""
        for name, worker in self.workers.items():
            (self.root / "logs" / f"{name}.log").write_text("\n".join(worker.raw) + "\n")

    def projector_log(self) -> str:
        """The end of the projector's log, for failure messages."""
        return log_tail(self.root / "logs", "projector")


def unended_report(ledger: Ledger, jobs: set[str], logs: Path) -> str:
    """Why renders did not end: their tasks without an outcome, and whether each was queued."""
    queued = {e.payload.task_id for e in ledger.of_type("ClipTaskQueued")}
    outcomes = ledger.outcomes()
    lines = [f"renders {sorted(jobs)} did not end (worker logs in {logs}/):"]
    for job, planned in sorted(ledger.planned_tasks().items()):
        if job in jobs:
            open_tasks = sorted(t for t in planned if t not in outcomes)
            lines.append(f"  {job}: no outcome for {open_tasks}")
            lines.append(f"    of which never queued: {[t for t in open_tasks if t not in queued]}")
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def fault_stack(
    env: dict[str, str], prefix: str, root: Path, workers: tuple[str, ...] = ("w1", "w2")
) -> AsyncIterator[FaultStack]:
    """Start the projector and the workers; stop them all at the end."""
    bootstrap = env["BEATSTITCH_KAFKA_BOOTSTRAP"]
    db_url = f"sqlite:///{root / 'read-model.db'}"
    base = {
        **env,
        **worker_env(bootstrap, prefix, root / "artifacts"),
        "BEATSTITCH_DATABASE_URL": db_url,
    }
    stack = FaultStack(bootstrap, prefix, base, root, db_url)
    with service("projector", {**os.environ, **base}, root / "logs"):
        async with contextlib.AsyncExitStack() as running:
            for name in workers:
                stack.workers[name] = await running.enter_async_context(
                    running_worker({**base, "BEATSTITCH_WORKER_ID": name}, cwd=root)
                )
            try:
                for worker in stack.workers.values():
                    await worker.wait_for(
                        lambda ln: ln["event"] == "render_worker.pool_ready", timeout_s=120
                    )
                yield stack
            finally:
                stack.save_worker_logs()
