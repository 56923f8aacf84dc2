"""Where the log lives: bootstrap servers, topic prefix and local data directory."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Kafka connection settings, read from BEATSTITCH_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    # When set, everything uses this cluster and nothing is started locally.
    kafka_bootstrap: str | None = None
    # Every topic name starts with this; tests use a unique prefix per test.
    topic_prefix: str = "beatstitch"
    data_dir: Path = Path(".data")
    local_kafka_port: int = 19092
    # Replication factor of topics we create; 1 for a single local broker.
    topic_replication_factor: int = 1
