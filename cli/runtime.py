"""Where commands find Kafka and the database, with errors that say how to fix things."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from aiokafka.errors import KafkaConnectionError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, OperationalError

from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError, LocalStackError
from local_stack.kafka.broker import LocalKafka
from projections.projector_lock import ProjectorBusy
from projections.replay import ReplayError
from projections.store import OffsetsMoved

# Errors go to stderr unwrapped, so a sentence stays one line whatever the terminal width.
errors = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


class CliError(RuntimeError):
    """An error meant for a person: a sentence that names the fix."""


def kafka_bootstrap(settings: KafkaSettings | None = None, start_local: bool = False) -> str:
    """Return the bootstrap servers to use; starts the local broker only when asked to."""
    settings = settings or KafkaSettings()
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    local = LocalKafka.from_settings(settings)
    if start_local:
        try:
            return local.start().bootstrap
        except KafkaBrokerError as exc:
            raise CliError(str(exc)) from exc
    status = local.status()
    if not status.responsive:
        raise CliError(
            f"Kafka is not running at {status.bootstrap}. Start it with `beatstitch kafka start`, "
            "or point BEATSTITCH_KAFKA_BOOTSTRAP at an existing cluster."
        )
    return status.bootstrap


def friendly_errors(fn: F) -> F:
    """Turn expected failures into one sentence and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CliError, LocalStackError, ReplayError, ProjectorBusy, OffsetsMoved) as exc:
            message = str(exc)
        except KafkaConnectionError as exc:
            message = (
                f"cannot reach Kafka ({exc}). Start it with `beatstitch kafka start`, or point "
                "BEATSTITCH_KAFKA_BOOTSTRAP at a running cluster."
            )
        except (OperationalError, ArgumentError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            message = f"cannot use the database ({reason}). Check BEATSTITCH_DATABASE_URL."
        errors.print(f"[red]error:[/red] {escape(message)}", highlight=False)
        raise typer.Exit(1)

    return wrapper  # type: ignore[return-value]
