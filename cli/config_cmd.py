"""`beatstitch config get|set`: the render clip configuration, read from and written to its
compacted topic directly (an operator's tool; the API's PATCH does the same for users)."""

from __future__ import annotations

import asyncio
import getpass
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from api.config_log import config_updates
from cli.runtime import CliError, friendly_errors, kafka_bootstrap
from domain.render_config import config_in_force, highest_version
from events.base import make_event
from events.kafka_io import EventProducer, ensure_topics
from events.payloads import RenderConfigUpdated
from events.payloads.config import RenderClipConfig
from events.settings import KafkaSettings

config_app = typer.Typer(
    help="The render clip configuration every worker applies without a restart.",
    no_args_is_help=True,
)
console = Console()


async def latest_config(bootstrap: str, prefix: str) -> tuple[int, RenderClipConfig]:
    """The version and values in force on the config topic, or (0, the defaults)."""
    return config_in_force(await config_updates(bootstrap, prefix))


def _table(version: int, config: RenderClipConfig) -> Table:
    title = f"render clip config, version {version}" + (" (defaults)" * (not version))
    # As wide as its title, which rich would otherwise wrap over the narrow columns.
    table = Table(title=title, min_width=len(title))
    table.add_column("key")
    table.add_column("value", justify="right")
    for key, value in config.model_dump().items():
        table.add_row(key, str(value))
    return table


@config_app.command("get")
@friendly_errors
def get() -> None:
    """Show the configuration in force and its version."""
    kafka = KafkaSettings()
    version, config = asyncio.run(latest_config(kafka_bootstrap(kafka), kafka.topic_prefix))
    console.print(_table(version, config))


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as a dict; numbers become ints so the model can check their ranges."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"{pair!r} is not KEY=VALUE, e.g. max_parallelism=2")
        values[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value
    return values


@config_app.command("set")
@friendly_errors
def set_(
    assignments: Annotated[list[str], typer.Argument(help="KEY=VALUE, e.g. max_parallelism=2")],
) -> None:
    """Publish a new version with some values changed; workers apply it within a second."""
    kafka = KafkaSettings()
    bootstrap = kafka_bootstrap(kafka)
    changes = parse_assignments(assignments)

    async def publish() -> tuple[int, RenderClipConfig]:
        await ensure_topics(bootstrap, kafka.topic_prefix, kafka.topic_replication_factor)
        updates = await config_updates(bootstrap, kafka.topic_prefix)
        _, current = config_in_force(updates)
        version = highest_version(updates)
        try:
            config = RenderClipConfig.model_validate({**current.model_dump(), **changes})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))} {e['msg']}" for e in exc.errors())
            raise CliError(f"the configuration was not changed: {problems}") from None
        update = RenderConfigUpdated(
            version=version + 1, config=config, updated_by=f"cli:{getpass.getuser()}"
        )
        async with EventProducer(bootstrap, kafka.topic_prefix) as producer:
            await producer.send(make_event(update, trace_id=f"config-v{version + 1}"))
        return version + 1, config

    console.print(_table(*asyncio.run(publish())))
