"""The worker's periodic disk collection: render_tmp folders of renders the log says ended and
abandoned temporary files under the artifacts folder, past their retention.

The worker knows a render ended from render.jobs (the cancellation watcher follows it for a
day back); it never reads the read model, so renders, replaced audio and beat grids, which
need every project's state, are left to `beatstitch gc`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

from agents.disk_scan import ARTIFACTS, remove, scan
from agents.metrics import RENDER_GC_BYTES_FREED, RENDER_GC_FILES_FREED
from domain.retention import Kind, Knowledge, Retention, Tally, plan_collection

log = structlog.get_logger("render_worker")


@dataclass
class DiskCollector:
    """Removes what retention allows under one worker's artifacts folder."""

    worker_id: str
    artifacts: Path
    retention: Retention
    # Renders render.jobs says ended, and those this worker holds as live (its table).
    ended: Callable[[], Iterable[str]]
    live: Callable[[], Iterable[str]]

    def knowledge(self) -> Knowledge:
        """What the worker knows: a render it has not seen end may be live elsewhere."""
        return Knowledge(
            ended=dict.fromkeys(self.ended()),
            live=frozenset(self.live()),
            knows_every_render=False,
        )

    def collect(self, knows: Knowledge) -> dict[Kind, Tally]:
        """One round: scan, plan, remove, count and log; returns what was freed per kind."""
        doomed = plan_collection(scan(self.artifacts, ARTIFACTS), knows, self.retention)
        freed = remove(doomed)
        for kind, t in freed.items():
            RENDER_GC_FILES_FREED.labels(kind=kind.value).inc(t.files)
            RENDER_GC_BYTES_FREED.labels(kind=kind.value).inc(t.bytes)
        log.info(
            "render_worker.gc",
            trace_id=None,
            worker=self.worker_id,
            files=sum(t.files for t in freed.values()),
            bytes=sum(t.bytes for t in freed.values()),
            **{f"{kind.value}_files": t.files for kind, t in freed.items()},
        )
        return freed

    async def run(self, interval_s: float) -> None:
        """Collect every `interval_s` seconds until cancelled (0: never); off the event loop."""
        if interval_s <= 0:
            return
        while True:
            try:
                # What is known is read here, on the loop that changes it; the disk work is not.
                await asyncio.to_thread(self.collect, self.knowledge())
            except Exception as exc:  # noqa: BLE001 - a failed round never stops the worker
                log.warning("render_worker.gc_failed", trace_id=None, error=str(exc))
            await asyncio.sleep(interval_s)
