"""How an audit shows: the causal tree, the tasks and the config history as Rich renderables,
and the same as JSON documents for machines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from projections.audit import AuditLine
from projections.audit_tree import CausalTree, Node, TaskView
from projections.audit_verify import Verification
from projections.config_history import ConfigVersion, HistoryEntry

# More progress events than this under one cause show as one line in the tree (JSON has all).
_PROGRESS_SHOWN = 3
_RENDERS_SHOWN = 8
_ON_BRANCH = ("task_id", "video_id", "segment_index")


def _at(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds")


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def _version(v: int | None) -> str:
    return "not recorded" if v is None else f"v{v}"


def config_values(config: Mapping[str, Any]) -> str:
    """A config's values on one line."""
    return " ".join(f"{k}={v}" for k, v in config.items())


def _label(line: AuditLine, start: datetime) -> str:
    since = round((line.occurred_at - start).total_seconds() * 1000)
    # The task's ids are on its branch, and settings objects are in --json: one line each.
    fields = " ".join(
        f"{k}={v}"
        for k, v in line.fields.items()
        if k not in _ON_BRANCH and not isinstance(v, dict | list)
    )
    where = f"{line.topic}/{line.partition}@{line.offset}"
    return f"[bold]{line.type}[/bold] +{since} ms [dim]{where}[/dim] {escape(fields)}".rstrip()


def _task_label(view: TaskView) -> str:
    last = view.attempts[-1] if view.attempts else None
    ran = "" if last is None else f" · worker {last.worker_id} slot {last.slot}"
    versions = ", ".join(_version(v) for v in view.config_versions) or "-"
    return (
        f"[cyan]task {view.segment_index}[/cyan] ({escape(str(view.video_id))}): "
        f"{view.outcome or 'unfinished'} {view.source_type or ''} · config {versions}{ran} · "
        f"waited {_ms(view.wait_ms)}, ran {_ms(view.elapsed_ms)}"
    )


def _grow(tree: Tree, node: Node, start: datetime, tasks: Mapping[str, TaskView]) -> None:
    progress = [c for c in node.children if c.line.type == "RenderProgress"]
    fold = len(progress) > _PROGRESS_SHOWN
    for child in node.children:
        if fold and child.line.type == "RenderProgress":
            if child is progress[0]:
                last = progress[-1].line.fields.get("progress")
                tree.add(f"[bold]RenderProgress[/bold] ×{len(progress)} (last at {last})")
            continue
        line = child.line
        if line.type == "ClipTaskQueued" and line.fields.get("task_id") in tasks:
            branch = tree.add(_task_label(tasks[line.fields["task_id"]]))
            branch.add(_label(line, start))
            _grow(branch, child, start, tasks)
        else:
            _grow(tree.add(_label(line, start)), child, start, tasks)


def tree_view(job: str, tree: CausalTree, tasks: list[TaskView]) -> Tree:
    """The causal tree: each event under the event that caused it, tasks summarised."""
    by_id = {t.task_id: t for t in tasks}
    everything = tree.roots + tree.orphans
    start = min((n.line.occurred_at for n in everything), default=None)
    top = Tree(f"render job [bold]{escape(job)}[/bold]")
    if start is None:
        return top
    for root in tree.roots:
        _grow(top.add(_label(root.line, start)), root, start, by_id)
    if tree.orphans:
        lost = top.add("[yellow]events whose cause is not among the job's events[/yellow]")
        for node in tree.orphans:
            _grow(lost.add(_label(node.line, start)), node, start, by_id)
    return top


def tasks_table(tasks: list[TaskView]) -> Table:
    """One row per clip task: outcome, config version, worker and slot, timings."""
    table = Table(title=f"{len(tasks)} clip tasks")
    for col in ("seg", "outcome", "source", "attempts", "config", "worker/slot", "waited", "ran"):
        table.add_column(col, overflow="fold")
    table.add_column("duration", justify="right")
    for t in tasks:
        ran_on = ", ".join(dict.fromkeys(f"{a.worker_id}/{a.slot}" for a in t.attempts))
        table.add_row(
            str(t.segment_index),
            t.outcome or "unfinished",
            t.source_type or "-",
            str(len(t.attempts)),
            ", ".join(_version(v) for v in t.config_versions) or "-",
            ran_on or "-",
            _ms(t.wait_ms),
            _ms(t.elapsed_ms),
            _ms(t.duration_ms),
        )
    return table


def configs_table(used: Mapping[int | None, ConfigVersion | None]) -> Table:
    """The config versions the tasks ran under, with their values."""
    table = Table(title="config versions in force")
    for col in ("version", "set by", "at (UTC)", "values"):
        table.add_column(col, overflow="fold")
    for number, v in sorted(used.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        if v is None:
            why = "events before versions were recorded" if number is None else None
            values = why or "no longer in the log (compacted); see `beatstitch audit config`"
            table.add_row(_version(number), "-", "-", values)
        else:
            table.add_row(
                _version(number), v.updated_by, _at(v.occurred_at) or "-", config_values(v.config)
            )
    return table


def history_table(entries: list[HistoryEntry], unrecorded: list[str]) -> Table:
    """The config's history: every version, who set it, when, what changed, which renders."""
    table = Table(title="render clip config history")
    for col in ("version", "set by", "at (UTC)", "changes", "renders"):
        table.add_column(col, overflow="fold")
    for e in entries:
        v = e.version
        changes = "; ".join(str(c) for c in e.changes) if v.version else config_values(v.config)
        table.add_row(
            f"v{v.version}",
            v.updated_by,
            _at(v.occurred_at) or "-",
            changes or "(same values)",
            _renders(e.renders),
        )
    if unrecorded:
        table.add_row("-", "-", "-", "version not recorded", _renders(unrecorded))
    return table


def _renders(jobs: list[str]) -> str:
    if not jobs:
        return "-"
    more = len(jobs) - _RENDERS_SHOWN
    return ", ".join(jobs[:_RENDERS_SHOWN]) + (f" … and {more} more" if more > 0 else "")


def _node_json(node: Node) -> dict[str, Any]:
    return {
        "event_id": node.line.event_id,
        "type": node.line.type,
        "children": [_node_json(c) for c in node.children],
    }


def _line_json(ln: AuditLine) -> dict[str, Any]:
    return {
        "occurred_at": ln.occurred_at.isoformat(),
        "type": ln.type,
        "version": ln.version,
        "trace_id": ln.trace_id,
        "event_id": ln.event_id,
        "causation_id": ln.causation_id,
        "topic": ln.topic,
        "partition": ln.partition,
        "offset": ln.offset,
        **ln.fields,
    }


def _task_json(t: TaskView) -> dict[str, Any]:
    return {
        "task_id": t.task_id,
        "segment_index": t.segment_index,
        "video_id": t.video_id,
        "outcome": t.outcome,
        "source_type": t.source_type,
        "duration_ms": t.duration_ms,
        "wait_ms": t.wait_ms,
        "elapsed_ms": t.elapsed_ms,
        "queued_at": _at(t.queued_at),
        "started_at": _at(t.started_at),
        "finished_at": _at(t.finished_at),
        "config_versions": t.config_versions,
        "attempts": [
            {
                "attempt": a.attempt,
                "source_type": a.source_type,
                "worker_id": a.worker_id,
                "slot": a.slot,
                "config_version": a.config_version,
                "at": _at(a.at),
            }
            for a in t.attempts
        ],
        "retries": t.retries,
        "fallbacks": t.fallbacks,
    }


def version_json(v: ConfigVersion | None) -> dict[str, Any] | None:
    """A config version as JSON (None: its values are not known here)."""
    if v is None:
        return None
    return {"config": v.config, "updated_by": v.updated_by, "occurred_at": _at(v.occurred_at)}


def verification_json(found: Verification) -> dict[str, Any]:
    """The --verify result as JSON."""
    return {
        "passed": found.passed,
        "recomputed": found.recomputed,
        "records": found.records,
        "differences": [
            {"record": d.record, "field": d.field, "sentence": str(d)} for d in found.differences
        ],
    }


def job_json(
    job: str,
    sha256: str,
    lines: list[AuditLine],
    tree: CausalTree,
    tasks: list[TaskView],
    used: Mapping[int | None, ConfigVersion | None],
    undecodable: int,
) -> dict[str, Any]:
    """The whole audit of a job as one JSON document."""
    return {
        "render_job_id": job,
        "sha256": sha256,
        "events": [_line_json(ln) for ln in lines],
        "tree": [_node_json(n) for n in tree.roots],
        "orphans": [_node_json(n) for n in tree.orphans],
        "repeated_events": tree.copies,
        "tasks": [_task_json(t) for t in tasks],
        "configs": {"null" if k is None else str(k): version_json(v) for k, v in used.items()},
        "undecodable": undecodable,
    }
