"""`beatstitch gc`: remove what retention allows, knowing every render from the read model."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from agents.disk_full import size_text
from agents.disk_scan import ARTIFACTS, MEDIA, remove, scan
from agents.settings import RetentionSettings, WorkerSettings
from api.read_models import current_audio, render_job_statuses
from api.settings import ApiSettings
from api.storage import media_root
from cli.runtime import CliError
from domain.render_job import TERMINAL
from domain.retention import Doomed, Found, Kind, Knowledge, Tally, plan_collection, tally
from projections.db import make_engine
from projections.settings import DatabaseSettings

console = Console()
_ENDED = frozenset(s.value for s in TERMINAL)


def read_model_knowledge(engine: Engine, found: Iterable[Found]) -> Knowledge:
    """What the read model says: every render requested, which ended, each project's audio."""
    tables = set(inspect(engine).get_table_names())
    if "render_jobs" not in tables:
        # Without the read model every render would look unrequested, its files fair game.
        raise CliError(
            f"{engine.url.render_as_string()} has no read models (render_jobs); point "
            "BEATSTITCH_DATABASE_URL at the projector's database and run the projector first."
        )
    with Session(engine) as session:
        jobs = render_job_statuses(session)
        audio = current_audio(session) if {"audio_tracks", "audio_analyses"} <= tables else None
    ended = {job: project for job, project, status in jobs if status in _ENDED}
    live = frozenset(job for job, _, status in jobs if status not in _ENDED)
    busy_projects = {project for _, project, status in jobs if status not in _ENDED and project}
    # A live render uses its project's audio as of its request: every track of that project
    # stays until the render ends (the read model keeps no copy of the request's paths).
    in_use = frozenset(
        f.path for f in found if f.kind is Kind.AUDIO and f.path.parent.parent.name in busy_projects
    )
    return Knowledge(
        ended=ended,
        live=live,
        in_use=in_use,
        knows_every_render=True,
        current_audio=None if audio is None else audio[0],
        current_grids=None if audio is None else audio[1],
    )


def _show(doomed: list[Doomed], totals: dict[Kind, Tally], dry_run: bool) -> None:
    if dry_run:
        listing = Table("kind", "size", "path", "why", title="Would remove")
        for d in doomed:
            f = d.found
            listing.add_row(f.kind.value, size_text(f.size), str(f.path), d.why)
        console.print(listing)
    summary = Table("kind", "files", "bytes", title="Would free" if dry_run else "Freed")
    for kind, t in totals.items():
        summary.add_row(kind.value, str(t.files), f"{t.bytes} ({size_text(t.bytes)})")
    files, size = sum(t.files for t in totals.values()), sum(t.bytes for t in totals.values())
    summary.add_row("total", str(files), f"{size} ({size_text(size)})")
    console.print(summary)


def gc(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")
    ] = False,
) -> None:
    """Remove old renders, render_tmp of ended renders, abandoned temporary files, replaced
    audio and unused beat grids past their retention (BEATSTITCH_RETAIN_*); never anything a
    live render uses."""
    artifacts = Path(WorkerSettings().artifacts_dir).resolve()
    found = scan(artifacts, ARTIFACTS) + scan(media_root(ApiSettings()), MEDIA)
    engine = make_engine(DatabaseSettings().database_url)
    try:
        knows = read_model_knowledge(engine, found)
    finally:
        engine.dispose()
    doomed = plan_collection(found, knows, RetentionSettings().retention())
    _show(doomed, tally(doomed) if dry_run else remove(doomed), dry_run)
