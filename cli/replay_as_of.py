"""`beatstitch replay --until/--until-offsets`: reading the cutoff and telling what was rebuilt."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cli.runtime import CliError
from projections.as_of import Cutoff, CutoffError, format_offsets, parse_offsets, parse_until
from projections.replay import ReplayReport


def cutoff_of(until: str | None, until_offsets: str | None, prefix: str) -> Cutoff | None:
    """The cutoff the options ask for (None: replay the whole log), or a CliError."""
    if until is not None and until_offsets is not None:
        raise CliError("give --until or --until-offsets, not both")
    try:
        if until is not None:
            return Cutoff(until=parse_until(until))
        if until_offsets is not None:
            return Cutoff(offsets=parse_offsets(until_offsets, prefix))
    except CutoffError as exc:
        raise CliError(str(exc)) from None
    return None


def print_as_of(console: Console, report: ReplayReport, cutoff: Cutoff, prefix: str) -> None:
    """The rebuilt tables' digests, the offsets the replay stopped at, and why no comparison."""
    when = (
        f"events up to {cutoff.until.isoformat().replace('+00:00', 'Z')}"
        if cutoff.until is not None
        else "events below the given offsets"
    )
    table = Table(title=f"replay of {report.stats.events} {when}")
    for col in ("table", "rows", "sha256"):
        table.add_column(col)
    for d in report.replayed:
        table.add_row(d.table, str(d.rows), d.sha256[:16])
    console.print(table)
    console.print(
        f"stopped at: {format_offsets(report.stopped_at, prefix)}", highlight=False, soft_wrap=True
    )
    console.print(
        "(pass these to --until-offsets to rebuild exactly this; the live read models are "
        "newer, so they are not compared)",
        highlight=False,
        soft_wrap=True,
    )
