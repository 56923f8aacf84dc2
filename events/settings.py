"""Where the log lives and who we are to it: bootstrap servers, credentials, topic prefix and
local data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
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
    # The local broker's client listener speaks TLS (SASL_SSL) with a self-signed
    # certificate made on its first start; clients of this data dir trust it.
    local_kafka_tls: bool = False
    # Replication factor of topics we create; 1 for a single local broker.
    topic_replication_factor: int = 1
    # SASL credentials of this process. Unset: the local broker's service principal (from
    # <data_dir>/kafka-secrets.json) if there is one, else an anonymous PLAINTEXT client.
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    # SASL_PLAINTEXT when credentials are used, SASL_SSL for a TLS cluster (with the CA file
    # below, if its certificate is not signed by a CA the system trusts); PLAINTEXT: none.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] | None = None
    kafka_ssl_cafile: Path | None = None
