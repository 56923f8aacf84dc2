"""`beatstitch analytics`: the windowed analytics consumer, a process of its own."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from cli.runtime import friendly_errors, kafka_bootstrap
from events.settings import KafkaSettings
from projections.db import make_engine
from projections.settings import AnalyticsSettings, DatabaseSettings
from projections.window_consumer import analytics_consumer, grant_reader

console = Console()


@friendly_errors
def analytics(
    until_end: Annotated[bool, typer.Option(help="Stop once caught up with the log.")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            help="If another analytics consumer of this name folds into this database, wait "
            "for it to stop (a standby) instead of exiting with an error."
        ),
    ] = True,
    metrics_port: Annotated[
        int,
        typer.Option(
            envvar="BEATSTITCH_ANALYTICS_METRICS_PORT", help="Serve Prometheus metrics (0: off)."
        ),
    ] = 0,
) -> None:
    """Fold renders and clip tasks into one-minute and one-hour windows (runs until Ctrl-C)."""
    kafka, db, settings = KafkaSettings(), DatabaseSettings(), AnalyticsSettings()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    bootstrap = kafka_bootstrap(kafka)
    engine = make_engine(db.database_url)
    if settings.reader_role:
        grant_reader(engine, settings.reader_role)
    runner = analytics_consumer(
        bootstrap=bootstrap,
        prefix=kafka.topic_prefix,
        engine=engine,
        settings=settings,
        wait_for_lock=wait,
    )
    console.print(
        f"windows of {bootstrap} → {engine.url.render_as_string()} as {settings.name!r}, "
        f"grace {settings.grace_s} s",
        highlight=False,
    )
    try:
        stats = asyncio.run(runner.run(until_end=until_end))
    except KeyboardInterrupt:
        stats = runner.stats
    console.print(f"folded {stats.events} events into the windows")
