"""`beatstitch audit JOB [--json] [--verify]` and `beatstitch audit config`: a render's causal
history from the log, checked against the read model, and the render config's history."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from typer.core import TyperGroup

from cli.audit_view import (
    configs_table,
    history_table,
    job_json,
    tasks_table,
    tree_view,
    verification_json,
    version_json,
)
from cli.runtime import CliError, friendly_errors, kafka_bootstrap
from events.settings import KafkaSettings
from projections.audit import JobLog, TooManyEvents, read_job
from projections.audit_queries import (
    NoReadModels,
    config_versions,
    read_model_clip_stats,
    renders_by_config_version,
    require_read_models,
)
from projections.audit_tree import CausalTree, TaskView, causal_tree, task_views
from projections.audit_verify import Verification, history_sha256, verify
from projections.config_history import (
    DEFAULTS_VERSION,
    ConfigVersion,
    config_history,
    embedded_defaults,
)
from projections.db import make_engine
from projections.settings import DatabaseSettings


class _JobByDefault(TyperGroup):
    """`audit JOB …` means `audit job JOB …`: a word that names no subcommand is a job id
    (a job literally called `config` is `audit job config`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Typer's own click Context
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["job", *args]
        return super().parse_args(ctx, args)


audit_app = typer.Typer(
    cls=_JobByDefault,
    help="For auditors: `audit JOB` (a render's causal history; --json, --verify) and "
    "`audit config` (every config version, its diff and its renders).",
    no_args_is_help=True,
)
console = Console()


def _read_log(job: str) -> JobLog:
    kafka = KafkaSettings()
    try:
        found = asyncio.run(read_job(kafka_bootstrap(kafka), kafka.topic_prefix, job))
    except TooManyEvents as exc:
        raise CliError(str(exc)) from exc
    if not found.lines:
        raise CliError(f"no events of render job {job!r} in the log")
    return found


def _engine() -> Engine:
    engine = make_engine(DatabaseSettings().database_url)
    try:
        require_read_models(engine)
    except NoReadModels as exc:
        raise CliError(str(exc)) from exc
    return engine


def _used_configs(
    versions: list[int | None], known: dict[int, ConfigVersion]
) -> dict[int | None, ConfigVersion | None]:
    """The values of each version the tasks ran under (None where neither source has it)."""
    known = {DEFAULTS_VERSION: embedded_defaults(), **known}
    return {v: None if v is None else known.get(v) for v in versions}


@audit_app.command("job")
@friendly_errors
def job(
    render_job_id: Annotated[str, typer.Argument(help="The render job to audit.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Recompute clip_stats from the events and compare them with the read model's "
            "(BEATSTITCH_DATABASE_URL) and RenderCompleted's.",
        ),
    ] = False,
) -> None:
    """A render job's causal tree from the log: tasks, attempts, fallbacks, config, timings."""
    found = _read_log(render_job_id)
    lines = found.lines
    known = dict(found.configs)
    verified: Verification | None = None
    if check:
        engine = _engine()
        # The read model keeps every version; the compacted topic may have lost old ones.
        known = {v.version: v for v in config_versions(engine)} | known
        verified = verify(render_job_id, lines, read_model_clip_stats(engine, render_job_id))
    tree = causal_tree(lines)
    tasks = task_views(lines)
    versions = list(dict.fromkeys(v for t in tasks for v in t.config_versions))
    used = _used_configs(versions, known)
    sha = history_sha256(lines)
    if as_json:
        doc = job_json(render_job_id, sha, lines, tree, tasks, used, found.undecodable)
        if verified is not None:
            doc["verify"] = verification_json(verified)
        print(json.dumps(doc, default=repr))
    else:
        _show_job(render_job_id, found, tree, tasks, used, sha, verified)
    if verified is not None and not verified.passed:
        n = len(verified.differences)
        raise CliError(
            f"verify failed: {n} difference{'s' * (n != 1)} between the records and the events"
        )


def _show_job(
    job_id: str,
    found: JobLog,
    tree: CausalTree,
    tasks: list[TaskView],
    used: dict[int | None, ConfigVersion | None],
    sha: str,
    verified: Verification | None,
) -> None:
    lines = found.lines
    console.print(f"render job {job_id}: {len(lines)} events, trace {lines[0].trace_id}")
    console.print(tree_view(job_id, tree, tasks))
    if tasks:
        console.print(tasks_table(tasks))
    if used:
        console.print(configs_table(used))
    if tree.copies:
        console.print(f"{tree.copies} events were written more than once (same event id)")
    if found.undecodable:
        console.print(f"[yellow]{found.undecodable} undecodable messages skipped[/yellow]")
    console.print(f"history sha256 {sha} (over {len(lines)} canonical events)")
    if verified is None:
        return
    stats = verified.recomputed
    console.print(
        f"verify: clip_stats recomputed from the events: {stats['total_tasks']} tasks, "
        f"{stats['success_tasks']} succeeded, {stats['placeholder_tasks']} placeholders, "
        f"peak parallelism {stats['peak_parallelism']}"
    )
    for record, held in verified.records.items():
        mine = [d for d in verified.differences if d.record == record]
        if mine:
            state = f"[red]{len(mine)} difference{'s' * (len(mine) != 1)}[/red]"
        else:
            state = "none in the record" if held is None else "[green]equal[/green]"
        console.print(f"  {record}: {state}")
        for d in mine:
            console.print(f"    - {d}")
    if verified.passed:
        console.print("[green]verify passed: the records agree with the events[/green]")


@audit_app.command("config")
@friendly_errors
def config(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Every render config version: who set it, when, what changed, which renders ran under it."""
    engine = _engine()
    by_version = renders_by_config_version(engine)
    entries = config_history(config_versions(engine), by_version)
    unrecorded = by_version.get(None, [])
    if as_json:
        doc = {
            "versions": [
                {
                    "version": e.version.version,
                    **(version_json(e.version) or {}),
                    "changes": [
                        {"field": c.field, "before": c.before, "after": c.after} for c in e.changes
                    ],
                    "renders": e.renders,
                }
                for e in entries
            ],
            "renders_without_version": unrecorded,
        }
        print(json.dumps(doc, default=lambda _: None))
        return
    console.print(history_table(entries, unrecorded))
