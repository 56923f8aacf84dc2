"""A job's events as a causal tree (each under the event its causation_id names), and one
summary per clip task: its attempts, the config it ran under, its worker, slot and timings.
Pure: built from audit lines, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from projections.audit import AuditLine

_TERMINAL = ("ClipTaskSucceeded", "ClipTaskFailed")


@dataclass
class Node:
    """One event and the events it caused, in time order."""

    line: AuditLine
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class CausalTree:
    """Roots (events with no cause: the request), orphans (whose cause is not among the job's
    events) and copies (an event id seen more than once: a send repeated after a failure)."""

    roots: list[Node]
    orphans: list[Node]
    copies: int


@dataclass(frozen=True)
class Attempt:
    """One ClipTaskStarted: which source, where it ran and under which config version."""

    attempt: int
    source_type: str
    worker_id: str
    slot: int
    config_version: int | None
    at: datetime


@dataclass(frozen=True)
class TaskView:
    """What one clip task went through, from its events."""

    task_id: str
    segment_index: int | None
    video_id: str | None
    attempts: list[Attempt]
    retries: list[str]
    fallbacks: list[str]
    outcome: str | None
    source_type: str | None
    duration_ms: int | None
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def config_versions(self) -> list[int | None]:
        """The config versions its attempts ran under, each once, in order."""
        return list(dict.fromkeys(a.config_version for a in self.attempts))

    @property
    def wait_ms(self) -> int | None:
        """From queued to its first attempt."""
        return _ms(self.queued_at, self.started_at)

    @property
    def elapsed_ms(self) -> int | None:
        """From its first attempt to its outcome, by event times."""
        return _ms(self.started_at, self.finished_at)


def _ms(a: datetime | None, b: datetime | None) -> int | None:
    return None if a is None or b is None else round((b - a).total_seconds() * 1000)


def causal_tree(lines: Iterable[AuditLine]) -> CausalTree:
    """Hang every event under its cause; lines are taken in the order given (time order)."""
    nodes: dict[str, Node] = {}
    copies = 0
    for line in lines:
        if line.event_id in nodes:
            copies += 1
            continue
        nodes[line.event_id] = Node(line)
    roots: list[Node] = []
    orphans: list[Node] = []
    for node in nodes.values():
        cause = node.line.causation_id
        if cause is None:
            roots.append(node)
        elif cause in nodes and cause != node.line.event_id:
            nodes[cause].children.append(node)
        else:
            orphans.append(node)
    return CausalTree(roots, orphans, copies)


def uncaused(lines: Iterable[AuditLine]) -> list[AuditLine]:
    """Events other than the request whose causation_id names no event of the job."""
    seen = list(lines)
    ids = {ln.event_id for ln in seen}
    return [
        ln
        for ln in seen
        if ln.type != "RenderRequested" and (ln.causation_id is None or ln.causation_id not in ids)
    ]


def _payload(line: AuditLine) -> Any:
    return None if line.envelope is None else line.envelope.payload


def task_views(lines: Iterable[AuditLine]) -> list[TaskView]:
    """One view per clip task, in segment order; the first outcome is the task's."""
    by_task: dict[str, list[AuditLine]] = defaultdict(list)
    for line in lines:
        if "task_id" in line.fields and line.type.startswith("ClipTask"):
            by_task[line.fields["task_id"]].append(line)
    views = [_view(task_id, found) for task_id, found in by_task.items()]
    return sorted(views, key=lambda v: (v.segment_index is None, v.segment_index, v.task_id))


def _view(task_id: str, lines: list[AuditLine]) -> TaskView:
    attempts: list[Attempt] = []
    retries: list[str] = []
    fallbacks: list[str] = []
    end: AuditLine | None = None
    queued_at: datetime | None = None
    for ln in lines:
        p = _payload(ln)
        if ln.type == "ClipTaskQueued":
            queued_at = ln.occurred_at if queued_at is None else min(queued_at, ln.occurred_at)
        elif ln.type == "ClipTaskStarted" and p is not None:
            attempts.append(
                Attempt(
                    p.attempt,
                    p.source_type.value,
                    p.worker_id,
                    p.slot,
                    p.config_version,
                    ln.occurred_at,
                )
            )
        elif ln.type == "ClipTaskRetrying" and p is not None:
            retries.append(f"attempt {p.attempt} {p.source_type.value}: {p.reason.value}")
        elif ln.type == "ClipTaskFellBack" and p is not None:
            fallbacks.append(f"{p.from_source.value} → {p.to_source.value}: {p.reason.value}")
        elif ln.type in _TERMINAL and end is None:
            end = ln
    first = lines[0].fields
    outcome = None if end is None else end.type.removeprefix("ClipTask").lower()
    return TaskView(
        task_id=task_id,
        segment_index=first.get("segment_index"),
        video_id=first.get("video_id"),
        attempts=attempts,
        retries=retries,
        fallbacks=fallbacks,
        outcome=outcome,
        source_type=None if end is None else end.fields.get("source_type"),
        duration_ms=None if end is None else end.fields.get("duration_ms"),
        queued_at=queued_at,
        started_at=attempts[0].at if attempts else None,
        finished_at=None if end is None else end.occurred_at,
    )
