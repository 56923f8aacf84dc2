"""`beatstitch export parquet`: every event type as Parquet tables for analysts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from analytics.parquet_export import ExportError, ExportReport, export_parquet
from cli.runtime import CliError, friendly_errors, kafka_bootstrap
from events.settings import KafkaSettings

export_app = typer.Typer(help="The log as files for other tools.", no_args_is_help=True)
console = Console()


@export_app.command("parquet")
@friendly_errors
def parquet(
    out: Annotated[
        Path,
        typer.Option(help="Folder of the tables: <EventType>/date=YYYY-MM-DD/*.parquet."),
    ],
) -> None:
    """Append every event that arrived since the last export to Parquet tables under --out."""
    kafka = KafkaSettings()
    bootstrap = kafka_bootstrap(kafka)
    try:
        report = asyncio.run(export_parquet(bootstrap, kafka.topic_prefix, out))
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print_report(report, out)


def print_report(report: ExportReport, out: Path) -> None:
    """What the export wrote: files and rows per event type, or that nothing was new."""
    if report.removed:
        console.print(f"removed {report.removed} files an interrupted export left unrecorded")
    if not report.files:
        console.print(
            f"nothing new since the last export to {out}/", highlight=False, soft_wrap=True
        )
    else:
        total = sum(report.rows.values())
        console.print(
            f"wrote {len(report.files)} files ({total} rows) to {out}/",
            highlight=False,
            soft_wrap=True,
        )
        table = Table()
        table.add_column("event type")
        table.add_column("files", justify="right")
        table.add_column("rows", justify="right")
        files_of: dict[str, int] = {}
        for path in report.files:
            files_of[path.parent.parent.name] = files_of.get(path.parent.parent.name, 0) + 1
        for event_type, rows in sorted(report.rows.items()):
            table.add_row(event_type, str(files_of.get(event_type, 0)), str(rows))
        console.print(table)
    if report.skipped:
        skipped = sum(report.skipped.values())
        console.print(
            f"[yellow]skipped {skipped} messages that are not valid events "
            "(the projector dead-letters them)[/yellow]"
        )
