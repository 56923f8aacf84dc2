"""Where commands find Kafka and the database, with errors that say how to fix things."""

from __future__ import annotations

from cli.kafka_broker import KafkaBrokerError, LocalKafka
from events.settings import KafkaSettings


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
