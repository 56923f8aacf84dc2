"""Checking a job's record against its raw events: clip_stats recomputed with the domain fold
and compared with the read model's and RenderCompleted's, and one sha256 over the job's
canonical events so two auditors can tell they saw the same history. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.clip_stats import CLIP_EVENT_TYPES, JobClipState, clip_stats, fold_clip_events
from events.topics import Topic
from projections.audit import AuditLine

READ_MODEL = "read model"
COMPLETED = "RenderCompleted"
WHOLE = "*"


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Difference:
    """One clip_stats field where a record disagrees with the events."""

    record: str
    field: str
    recomputed: Any
    recorded: Any

    def __str__(self) -> str:
        if self.field == WHOLE:
            held = f"the {self.record} holds no clip_stats of this job"
            return f"{held}; the events give {self.recomputed}"
        return (
            f"{self.record} clip_stats.{self.field} is {self.recorded!r}; "
            f"the events give {self.recomputed!r}"
        )


@dataclass(frozen=True)
class Verification:
    """The recomputed clip_stats, what each record holds (None: it holds none) and every
    difference."""

    recomputed: dict[str, Any]
    records: dict[str, dict[str, Any] | None]
    differences: list[Difference]

    @property
    def passed(self) -> bool:
        """True when every record that exists agrees with the events, field by field."""
        return not self.differences


def history_sha256(lines: Iterable[AuditLine]) -> str:
    """sha256 of the job's canonical events sorted, one per line: the order they were read in
    (which depends on the partitions' fetches) changes nothing; every copy of an event counts."""
    digest = hashlib.sha256()
    for text in sorted(ln.canonical for ln in lines):
        digest.update(text.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _log_order(line: AuditLine) -> tuple[int, str, int, int]:
    # The job's clip outcomes sit on one partition of clip.events, whose order the projector
    # and the assembler folded them in (peak_parallelism depends on it); ClipTaskQueued, on
    # its own topic, may come anywhere without changing the result, so it comes first here.
    return (
        int(not line.topic.endswith(f".{Topic.CLIP_TASKS.value}")),
        line.topic,
        line.partition,
        line.offset,
    )


def recompute_clip_stats(render_job_id: str, lines: Iterable[AuditLine]) -> dict[str, Any]:
    """clip_stats from the job's raw clip events, folded as the projector folds them."""
    envs = [
        ln.envelope
        for ln in sorted(lines, key=_log_order)
        if ln.envelope is not None and isinstance(ln.envelope.payload, CLIP_EVENT_TYPES)
    ]
    state = fold_clip_events(JobClipState(render_job_id=render_job_id), envs)
    return clip_stats(state).model_dump(mode="json")


def completed_clip_stats(lines: Iterable[AuditLine]) -> dict[str, Any] | None:
    """clip_stats as the first RenderCompleted of the job reported them (None: no such event)."""
    for ln in lines:
        if ln.type == COMPLETED and ln.envelope is not None:
            return dict(ln.envelope.payload.clip_stats.model_dump(mode="json"))
    return None


def differences(
    record: str, recomputed: Mapping[str, Any], recorded: Mapping[str, Any]
) -> list[Difference]:
    """Every field whose recorded value is not the recomputed one (a missing field too)."""
    names = sorted(set(recomputed) | set(recorded))
    return [
        Difference(record, name, recomputed.get(name, ABSENT), recorded.get(name, ABSENT))
        for name in names
        if recomputed.get(name, ABSENT) != recorded.get(name, ABSENT)
    ]


def verify(
    render_job_id: str, lines: list[AuditLine], read_model: Mapping[str, Any] | None
) -> Verification:
    """Compare the read model's and RenderCompleted's clip_stats with the events' own."""
    recomputed = recompute_clip_stats(render_job_id, lines)
    records: dict[str, dict[str, Any] | None] = {
        READ_MODEL: None if read_model is None else dict(read_model),
        COMPLETED: completed_clip_stats(lines),
    }
    found = [
        d
        for name, stats in records.items()
        if stats is not None
        for d in differences(name, recomputed, stats)
    ]
    if read_model is None and recomputed["total_tasks"]:
        # A job whose tasks ended must have its stats in the read model (a row deleted by
        # hand, or a projector that has not caught up).
        tasks = f"{recomputed['total_tasks']} finished clip tasks"
        found.insert(0, Difference(READ_MODEL, WHOLE, tasks, None))
    return Verification(recomputed, records, found)
