"""What was produced against what was folded: the check every fault test ends with.

The log is read whole and counted here by hand, not through domain.clip_stats, so a bug
in the shared fold cannot hide behind itself:

- every accepted render ended (a terminal render event in the log, the same status in the
  read model);
- every clip task has one terminal outcome (the first in log order counts, as for the
  projector); with `one_outcome_in_log` the log must hold exactly one per task (true for
  every fault short of a SIGKILLed worker, which may redo a task whose outcome it had
  produced but not yet acknowledged);
- the read model's clip_stats equal the recount, its clip_tasks rows the tasks;
- an event_id never names two different events in the log (a re-plan after a crash sends
  the same events again, under the same ids) and appears once in the read model's config
  versions.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from events.base import Envelope
from events.codec import DecodeError, decode
from events.topics import Topic, physical_name
from tests.support.cluster_state import describe_partitions, high_watermarks, read_all
from tests.support.projecting import project, rows

RENDER_ENDS = {
    "RenderCompleted": "complete",
    "RenderFailed": "failed",
    "RenderCancelled": "cancelled",
}
OUTCOMES = {"ClipTaskSucceeded", "ClipTaskFailed"}
AUDITED = (Topic.RENDER_JOBS, Topic.CLIP_TASKS, Topic.CLIP_EVENTS, Topic.RENDER_CONFIG)


@dataclass
class Ledger:
    """The log of one topic prefix, decoded and grouped."""

    events: list[Envelope[Any]] = field(default_factory=list)
    undecodable: int = 0

    def of_type(self, *types: str) -> list[Envelope[Any]]:
        """Events of these types, in log order per partition."""
        return [e for e in self.events if e.type in types]

    def accepted_jobs(self) -> set[str]:
        """Render jobs whose request is in the log."""
        return {e.payload.render_job_id for e in self.of_type("RenderRequested")}

    def ends(self) -> dict[str, list[str]]:
        """Per job, its terminal statuses in log order."""
        found: dict[str, list[str]] = defaultdict(list)
        for e in self.of_type(*RENDER_ENDS):
            found[e.payload.render_job_id].append(RENDER_ENDS[e.type])
        return found

    def outcomes(self) -> dict[str, list[Envelope[Any]]]:
        """Per clip task, its outcome events in log order."""
        found: dict[str, list[Envelope[Any]]] = defaultdict(list)
        for e in self.of_type(*OUTCOMES):
            found[e.payload.task_id].append(e)
        return found

    def planned_tasks(self) -> dict[str, set[str]]:
        """Per job, the task ids its RenderStarted planned."""
        planned: dict[str, set[str]] = defaultdict(set)
        for e in self.of_type("RenderStarted"):
            planned[e.payload.render_job_id].update(e.payload.task_ids)
        return planned


async def read_ledger(bootstrap: str, prefix: str) -> Ledger:
    """Every committed event under `prefix`, decoded."""
    records = await read_all(bootstrap, [physical_name(prefix, t) for t in AUDITED])
    ledger = Ledger()
    for record in records:
        if record.value is None:
            continue  # a tombstone of a compacted topic
        try:
            ledger.events.append(decode(record.value))
        except DecodeError:
            ledger.undecodable += 1
    return ledger


def recount(ledger: Ledger, job: str) -> dict[str, int]:
    """clip_stats' counts of one job, from its first outcome per task."""
    placeholder = failed = success = 0
    for task_outcomes in ledger.outcomes().values():
        first = task_outcomes[0]
        if first.payload.render_job_id != job:
            continue
        if first.type == "ClipTaskFailed":
            failed += 1
        elif first.payload.source_type.value == "placeholder":
            placeholder += 1
        else:
            success += 1
    return {
        "total_tasks": placeholder + failed + success,
        "success_tasks": success,
        "failed_tasks": failed + placeholder,
        "placeholder_tasks": placeholder,
        "total_clips": success + placeholder,
    }


async def wait_folded(bootstrap: str, prefix: str, url: str, timeout_s: float = 120) -> None:
    """Wait until the projector's offsets reach the end of every partition it reads."""
    names = [physical_name(prefix, t) for t in AUDITED]
    deadline = time.monotonic() + timeout_s
    while True:
        done = {
            TopicPartition(r["topic"], r["partition"]): r["next_offset"]
            for r in rows(url, "SELECT topic, partition, next_offset FROM projector_offsets")
        }
        ends = await high_watermarks(bootstrap, list(await describe_partitions(bootstrap, names)))
        behind = {tp: end for tp, end in ends.items() if end > 0 and done.get(tp, 0) < end}
        if not behind:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the projector did not catch up within {timeout_s} s: {behind}")
        await asyncio.sleep(0.5)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def assert_ledger(
    ledger: Ledger, url: str, jobs: set[str], *, one_outcome_in_log: bool = True
) -> dict[str, str]:
    """Compare the log of `jobs` with the read model; return each job's end status."""
    assert ledger.undecodable == 0, f"{ledger.undecodable} undecodable records in the log"
    by_id: dict[str, set[str]] = defaultdict(set)
    for e in ledger.events:
        by_id[e.event_id].add(f"{e.type}:{e.payload.model_dump_json()}")
    # A re-sent event (a re-plan after a crash) carries its id again; one id, one event.
    clashes = {i: kinds for i, kinds in by_id.items() if len(kinds) > 1}
    assert not clashes, f"event ids naming different events: {clashes}"

    assert jobs <= ledger.accepted_jobs(), "a render the test sent is not in the log"
    ends = ledger.ends()
    unended = sorted(j for j in jobs if not ends.get(j))
    assert not unended, f"accepted renders that never ended: {unended}"
    more = {j: ends[j] for j in jobs if len(ends[j]) > 1}
    assert not more, f"renders that ended more than once: {more}"

    outcomes = ledger.outcomes()
    statuses: dict[str, str] = {}
    for job in sorted(jobs):
        planned = ledger.planned_tasks().get(job, set())
        missing = sorted(t for t in planned if t not in outcomes)
        if ends[job][0] == "complete":
            assert not missing, f"{job}: tasks with no outcome: {missing}"
        if one_outcome_in_log:
            extra = {t: len(outcomes[t]) for t in planned if len(outcomes.get(t, [])) > 1}
            assert not extra, f"{job}: tasks with more than one outcome in the log: {extra}"

        (row,) = rows(url, "SELECT status, metrics FROM render_jobs WHERE id = :j", j=job)
        assert row["status"] == ends[job][0], f"{job}: read model {row['status']}, log {ends[job]}"
        statuses[job] = row["status"]
        task_rows = rows(
            url, "SELECT task_id, status FROM clip_tasks WHERE render_job_id = :j", j=job
        )
        assert len({r["task_id"] for r in task_rows}) == len(task_rows)
        if ends[job][0] == "complete":
            assert {r["task_id"] for r in task_rows} == planned
            assert all(r["status"] not in ("pending", "running") for r in task_rows)
            stats = _json(row["metrics"])["render"]["clip_stats"]
            counted = recount(ledger, job)
            assert {k: stats[k] for k in counted} == counted, (stats, counted)

    versions = rows(url, "SELECT event_id FROM render_config_versions")
    assert len({v["event_id"] for v in versions}) == len(versions)
    return statuses


async def fold_and_check(
    bootstrap: str, prefix: str, url: str, jobs: set[str], *, one_outcome_in_log: bool = True
) -> dict[str, str]:
    """Fold the whole log into `url` with the projector, then compare it with the log."""
    await project(bootstrap, prefix, url)
    ledger = await read_ledger(bootstrap, prefix)
    return assert_ledger(ledger, url, jobs, one_outcome_in_log=one_outcome_in_log)
