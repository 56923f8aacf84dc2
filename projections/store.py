"""Loading row states for a batch and writing them back, with the offsets, in one transaction."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.clip_stats import JobClipState, TaskState, TaskStatus, clip_stats, source_type_of
from domain.placeholders import placeholders
from domain.render_job import JobState, JobStatus
from projections.models import (
    AudioAnalysis,
    Base,
    ClipTask,
    MediaProxy,
    ProjectorOffset,
    RenderConfigVersion,
    RenderJob,
    VideoGeneration,
    table_of,
)
from projections.state import AnalysisState, ConfigVersionState, GenerationState, ProxyState

TopicPartitionKey = tuple[str, int]
S = TypeVar("S")
_CHUNK = 500


@cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _datetime_fields(cls: Any) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if "datetime" in str(f.type))


def _as_row(state: Any) -> dict[str, Any]:
    # A shallow copy: dataclasses.asdict deep-copies and dominated the projector's profile.
    kind: Any = type(state)
    return {name: getattr(state, name) for name in _field_names(kind)}


def _from_row(cls: type[S], row: Mapping[Any, Any], renames: Mapping[str, str]) -> S:
    kind: Any = cls
    names = _field_names(kind)
    values = {renames.get(k, k): v for k, v in row.items()}
    kwargs = {k: values[k] for k in names if k in values}
    for name in _datetime_fields(kind):
        value = kwargs.get(name)
        # SQLite hands back naive datetimes; everything we store is UTC.
        if value is not None and value.tzinfo is None:
            kwargs[name] = value.replace(tzinfo=UTC)
    return cls(**kwargs)


def task_from_row(row: Mapping[Any, Any]) -> TaskState:
    """Rebuild a task state from its clip_tasks row."""
    values = dict(row)
    values["status"] = TaskStatus(values["status"])
    values["source_type"] = source_type_of(values.get("source_type"))
    values["fallback_reasons"] = dict(values.get("fallback_reasons") or {})
    return _from_row(TaskState, values, {})


def task_to_row(task: TaskState) -> dict[str, Any]:
    """Render a task state as a clip_tasks row."""
    row = _as_row(task)
    row["status"] = task.status.value
    row["source_type"] = None if task.source_type is None else task.source_type.value
    return row


def job_to_row(job: JobState, clips: JobClipState | None) -> dict[str, Any]:
    """Render a job state, and its clip state if any, as a render_jobs row."""
    row = _as_row(job)
    row["id"] = row.pop("render_job_id")
    row["status"] = job.status.value
    # Who rendered the clips: derived from the task rows, so it is kept wherever they are.
    row["clip_worker_ids"] = (
        [] if clips is None else sorted({t.worker_id for t in clips.tasks.values() if t.worker_id})
    )
    if clips is None:
        row["metrics"] = {}
    else:
        stats = clip_stats(clips).model_dump(mode="json")
        row["metrics"] = {"render": {"clip_stats": stats, "placeholders": placeholders(clips)}}
    return row


def job_from_row(row: Mapping[Any, Any]) -> JobState:
    """Rebuild a job state from its render_jobs row."""
    job = _from_row(JobState, row, {"id": "render_job_id"})
    return dataclasses.replace(job, status=JobStatus(job.status))


def _clip_from_row(row: Mapping[Any, Any], tasks: dict[str, TaskState]) -> JobClipState:
    stats = (row.get("metrics") or {}).get("render", {}).get("clip_stats")
    if stats is None:
        return JobClipState(render_job_id=row["id"], tasks=tasks)
    last = stats.get("generated_at")
    return JobClipState(
        render_job_id=row["id"],
        tasks=tasks,
        peak_parallelism=stats["peak_parallelism"],
        last_event_at=None if last is None else datetime.fromisoformat(last),
    )


@dataclass
class BatchState:
    """The rows a batch touches, as loaded and then as folded."""

    jobs: dict[str, JobState] = field(default_factory=dict)
    clips: dict[str, JobClipState] = field(default_factory=dict)
    configs: dict[int, ConfigVersionState] = field(default_factory=dict)
    analyses: dict[str, AnalysisState] = field(default_factory=dict)
    generations: dict[str, GenerationState] = field(default_factory=dict)
    # An asset's proxies by variant.
    proxies: dict[str, dict[str, ProxyState]] = field(default_factory=dict)
    # Keys present in the database before the batch (insert vs update).
    existing_jobs: set[str] = field(default_factory=set)
    existing_tasks: set[str] = field(default_factory=set)
    existing_configs: set[int] = field(default_factory=set)
    existing_analyses: set[str] = field(default_factory=set)
    existing_generations: set[str] = field(default_factory=set)
    existing_proxies: set[tuple[str, str]] = field(default_factory=set)


def _chunks(keys: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(keys)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class JobCache:
    """Job states as last committed, so a batch need not read back what the projector wrote.

    Only valid while this projector is the database's one writer, which the offsets table
    already assumes; cleared whenever a transaction fails."""

    def __init__(self, max_jobs: int = 5000) -> None:
        self.max_jobs = max_jobs
        self._jobs: OrderedDict[str, tuple[JobState, JobClipState]] = OrderedDict()

    def get(self, job_id: str) -> tuple[JobState, JobClipState] | None:
        """Return a job's committed states, if cached."""
        found = self._jobs.get(job_id)
        if found is not None:
            self._jobs.move_to_end(job_id)
        return found

    def put_committed(self, state: BatchState, written: set[str]) -> None:
        """Remember the jobs of a committed batch that are in the database."""
        for job_id, clips in state.clips.items():
            if job_id not in written and job_id not in state.existing_jobs:
                continue
            job = state.jobs.get(job_id) or JobState(render_job_id=job_id)
            self._jobs[job_id] = (job, clips)
            self._jobs.move_to_end(job_id)
        while len(self._jobs) > self.max_jobs:
            self._jobs.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (after a failed transaction)."""
        self._jobs.clear()


def load_batch(
    conn: Connection,
    job_ids: set[str],
    config_versions: set[int],
    track_ids: set[str],
    generation_ids: set[str],
    asset_ids: set[str],
    cache: JobCache | None = None,
) -> BatchState:
    """Load every row a batch may change: jobs with their tasks, configs, analyses,
    generations and the proxies of assets."""
    state = BatchState()
    if cache is not None:
        for job_id in list(job_ids):
            hit = cache.get(job_id)
            if hit is not None:
                state.jobs[job_id], state.clips[job_id] = hit
                state.existing_jobs.add(job_id)
                state.existing_tasks.update(hit[1].tasks)
        job_ids = job_ids - state.existing_jobs
    tasks_by_job: dict[str, dict[str, TaskState]] = {j: {} for j in job_ids}
    tasks, jobs = table_of(ClipTask), table_of(RenderJob)
    configs, analyses = table_of(RenderConfigVersion), table_of(AudioAnalysis)
    for chunk in _chunks(job_ids):
        for row in conn.execute(select(tasks).where(tasks.c.render_job_id.in_(chunk))):
            task = task_from_row(row._mapping)
            tasks_by_job[task.render_job_id][task.task_id] = task
            state.existing_tasks.add(task.task_id)
        for row in conn.execute(select(jobs).where(jobs.c.id.in_(chunk))):
            mapping = row._mapping
            state.jobs[mapping["id"]] = job_from_row(mapping)
            state.clips[mapping["id"]] = _clip_from_row(mapping, tasks_by_job[mapping["id"]])
            state.existing_jobs.add(mapping["id"])
    for job_id in job_ids - state.existing_jobs:
        state.clips[job_id] = JobClipState(render_job_id=job_id, tasks=tasks_by_job[job_id])
    for chunk in _chunks(config_versions):
        for row in conn.execute(select(configs).where(configs.c.version.in_(chunk))):
            version = row._mapping["version"]
            state.configs[version] = _from_row(ConfigVersionState, row._mapping, {})
            state.existing_configs.add(version)
    for chunk in _chunks(track_ids):
        stmt = select(analyses).where(analyses.c.audio_track_id.in_(chunk))
        for row in conn.execute(stmt):
            track_id = row._mapping["audio_track_id"]
            state.analyses[track_id] = _from_row(AnalysisState, row._mapping, {})
            state.existing_analyses.add(track_id)
    generations = table_of(VideoGeneration)
    for chunk in _chunks(generation_ids):
        stmt = select(generations).where(generations.c.generation_id.in_(chunk))
        for row in conn.execute(stmt):
            gen_id = row._mapping["generation_id"]
            state.generations[gen_id] = _from_row(GenerationState, row._mapping, {})
            state.existing_generations.add(gen_id)
    _load_proxies(conn, asset_ids, state)
    return state


def _load_proxies(conn: Connection, asset_ids: set[str], state: BatchState) -> None:
    proxies = table_of(MediaProxy)
    for chunk in _chunks(asset_ids):
        for row in conn.execute(select(proxies).where(proxies.c.asset_id.in_(chunk))):
            proxy = _from_row(ProxyState, row._mapping, {})
            state.proxies.setdefault(proxy.asset_id, {})[proxy.variant] = proxy
            state.existing_proxies.add((proxy.asset_id, proxy.variant))


def _save_proxies(conn: Connection, before: BatchState, after: BatchState) -> None:
    rows = [
        _as_row(proxy)
        for asset, variants in after.proxies.items()
        for variant, proxy in variants.items()
        if proxy != before.proxies.get(asset, {}).get(variant)
    ]
    table = table_of(MediaProxy)
    new = [r for r in rows if (r["asset_id"], r["variant"]) not in before.existing_proxies]
    old = [r for r in rows if (r["asset_id"], r["variant"]) in before.existing_proxies]
    if new:
        conn.execute(insert(table), new)
    if old:
        stmt = update(table).where(
            table.c.asset_id == bindparam("b_asset_id"), table.c.variant == bindparam("b_variant")
        )
        conn.execute(
            stmt, [{**r, "b_asset_id": r["asset_id"], "b_variant": r["variant"]} for r in old]
        )


def _upsert(
    conn: Connection,
    model: type[Base],
    rows: list[dict[str, Any]],
    key: str,
    existing: set[Any],
) -> None:
    new = [r for r in rows if r[key] not in existing]
    old = [r for r in rows if r[key] in existing]
    table = table_of(model)
    if new:
        conn.execute(insert(table), new)
    if old:
        # Executemany UPDATE by primary key; the key's bind is renamed so SET can use its name.
        stmt = update(table).where(table.c[key] == bindparam(f"b_{key}"))
        conn.execute(stmt, [{**r, f"b_{key}": r[key]} for r in old])


def save_batch(
    conn: Connection,
    before: BatchState,
    after: BatchState,
    changed_tasks: set[str],
) -> set[str]:
    """Write the rows a batch changed; return the ids of the jobs written."""
    job_ids = {
        j
        for j in set(after.jobs) | set(after.clips)
        if after.jobs.get(j) != before.jobs.get(j) or after.clips.get(j) is not before.clips.get(j)
    }
    job_rows = [
        job_to_row(after.jobs.get(j) or JobState(render_job_id=j), after.clips.get(j))
        for j in sorted(job_ids)
    ]
    _upsert(conn, RenderJob, job_rows, "id", before.existing_jobs)
    task_rows = [
        task_to_row(clip.tasks[t])
        for clip in after.clips.values()
        for t in clip.tasks
        if t in changed_tasks
    ]
    _upsert(conn, ClipTask, task_rows, "task_id", before.existing_tasks)
    config_rows = [_as_row(c) for v, c in after.configs.items() if v not in before.existing_configs]
    _upsert(conn, RenderConfigVersion, config_rows, "version", before.existing_configs)
    analysis_rows = [
        dataclasses.asdict(a) for k, a in after.analyses.items() if a != before.analyses.get(k)
    ]
    _upsert(conn, AudioAnalysis, analysis_rows, "audio_track_id", before.existing_analyses)
    generation_rows = [
        _as_row(g) for k, g in after.generations.items() if g != before.generations.get(k)
    ]
    _upsert(conn, VideoGeneration, generation_rows, "generation_id", before.existing_generations)
    _save_proxies(conn, before, after)
    return job_ids


def load_offsets(conn: Connection, projector: str) -> dict[TopicPartitionKey, int]:
    """Return the projector's stored next offsets by (topic, partition)."""
    offsets = table_of(ProjectorOffset)
    stmt = select(offsets).where(offsets.c.projector == projector)
    return {(r.topic, r.partition): r.next_offset for r in conn.execute(stmt)}


def next_offset(conn: Connection, projector: str, topic: str, partition: int) -> int:
    """The next offset the projector will read on one partition (0 before it read any)."""
    found = conn.execute(
        select(ProjectorOffset.next_offset).where(
            ProjectorOffset.projector == projector,
            ProjectorOffset.topic == topic,
            ProjectorOffset.partition == partition,
        )
    ).scalar_one_or_none()
    return int(found or 0)


class OffsetsMoved(RuntimeError):
    """The stored offsets changed under this projector: another one folds into the database."""

    def __init__(self, projector: str, where: TopicPartitionKey, expected: int | None) -> None:
        seen = "no stored offset" if expected is None else f"stored offset {expected}"
        super().__init__(
            f"projector {projector!r} expected {seen} for {where[0]}[{where[1]}], but another "
            "projector has written there; this batch was rolled back and nothing was counted "
            "twice. Run one projector per database and name."
        )


def save_offsets(
    conn: Connection,
    projector: str,
    offsets: Mapping[TopicPartitionKey, int],
    stored: Mapping[TopicPartitionKey, int],
) -> None:
    """Store next offsets; called inside the batch's transaction.

    Compare-and-set: each stored offset must still be the one this projector read, else
    another projector wrote in between and OffsetsMoved rolls the whole batch back."""
    new = [k for k in offsets if k not in stored]
    old = [k for k in offsets if k in stored and stored[k] != offsets[k]]
    if new:
        rows = [
            {"projector": projector, "topic": t, "partition": p, "next_offset": offsets[(t, p)]}
            for t, p in new
        ]
        try:
            conn.execute(insert(table_of(ProjectorOffset)), rows)
        except IntegrityError:
            # The caller's transaction rolls back on the way out, rows and all.
            raise OffsetsMoved(projector, new[0], None) from None
    for t, p in old:
        moved = conn.execute(
            update(ProjectorOffset)
            .where(
                ProjectorOffset.projector == projector,
                ProjectorOffset.topic == t,
                ProjectorOffset.partition == p,
                ProjectorOffset.next_offset == stored[(t, p)],
            )
            .values(next_offset=offsets[(t, p)])
        )
        if moved.rowcount != 1:
            raise OffsetsMoved(projector, (t, p), stored[(t, p)])
