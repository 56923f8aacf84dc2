"""Who a client is to Kafka: the credentials in settings (or the local broker's service
principal), and the one mapping of them to each client's options (aiokafka, librdkafka)."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from events.settings import KafkaSettings

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]

# The local broker's principals: `broker` (PLAIN, its own super user for inter-broker and
# controller traffic and our admin calls) and `service` (SCRAM, the workers, projector, API).
SERVICE_PRINCIPAL = "service"
LOCAL_SECRETS_FILE = "kafka-secrets.json"
# Beside it while the local broker speaks TLS: the certificate its clients trust.
LOCAL_CA_FILE = "kafka-ca.pem"


class KafkaCredentials(BaseModel):
    """A SASL principal and how to reach the broker with it."""

    model_config = ConfigDict(frozen=True)

    username: str
    password: SecretStr
    mechanism: SaslMechanism = "SCRAM-SHA-512"
    security_protocol: SecurityProtocol = "SASL_PLAINTEXT"
    ssl_cafile: Path | None = None


def local_secrets_path(data_dir: Path) -> Path:
    """Where the local broker (or cluster) of a data directory keeps its principals' passwords."""
    return Path(data_dir) / LOCAL_SECRETS_FILE


def local_ca_path(data_dir: Path) -> Path:
    """The local broker's certificate, which exists while it speaks TLS."""
    return Path(data_dir) / LOCAL_CA_FILE


def read_local_secrets(path: Path) -> dict[str, str]:
    """Return the passwords by principal in a local secrets file ({} when there is none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in data.items()}


def client_credentials(settings: KafkaSettings | None = None) -> KafkaCredentials | None:
    """The credentials this process uses, or None for an anonymous PLAINTEXT client.

    Settings (BEATSTITCH_KAFKA_USERNAME/PASSWORD…) first; else the local broker's service
    principal from <data_dir>/kafka-secrets.json when that file exists (over TLS when
    <data_dir>/kafka-ca.pem does); else anonymous.
    BEATSTITCH_KAFKA_SECURITY_PROTOCOL=PLAINTEXT turns credentials off entirely."""
    settings = settings or KafkaSettings()
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    protocol = settings.kafka_security_protocol or "SASL_PLAINTEXT"
    if settings.kafka_username:
        return KafkaCredentials(
            username=settings.kafka_username,
            password=settings.kafka_password or SecretStr(""),
            mechanism=settings.kafka_sasl_mechanism,
            security_protocol=protocol,
            ssl_cafile=settings.kafka_ssl_cafile,
        )
    password = read_local_secrets(local_secrets_path(settings.data_dir)).get(SERVICE_PRINCIPAL)
    if password is None:
        return None
    return local_credentials(SERVICE_PRINCIPAL, password, "SCRAM-SHA-512", settings.data_dir)


def local_credentials(
    username: str, password: str, mechanism: SaslMechanism, data_dir: Path
) -> KafkaCredentials:
    """A principal of the local broker of `data_dir`, over TLS while it speaks TLS."""
    ca = local_ca_path(data_dir)
    tls = ca.exists()
    return KafkaCredentials(
        username=username,
        password=SecretStr(password),
        mechanism=mechanism,
        security_protocol="SASL_SSL" if tls else "SASL_PLAINTEXT",
        ssl_cafile=ca if tls else None,
    )


def aiokafka_options(credentials: KafkaCredentials | None) -> dict[str, Any]:
    """Keyword arguments that authenticate an aiokafka client (producer, consumer, admin)."""
    if credentials is None:
        return {}
    options: dict[str, Any] = {
        "security_protocol": credentials.security_protocol,
        "sasl_mechanism": credentials.mechanism,
        "sasl_plain_username": credentials.username,
        "sasl_plain_password": credentials.password.get_secret_value(),
    }
    if credentials.security_protocol == "SASL_SSL":
        options["ssl_context"] = ssl_context(credentials)
    return options


def ssl_context(credentials: KafkaCredentials) -> ssl.SSLContext:
    """A verifying TLS context, trusting the configured CA file besides the system's."""
    cafile = str(credentials.ssl_cafile) if credentials.ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def librdkafka_options(credentials: KafkaCredentials | None) -> dict[str, str]:
    """The same credentials as librdkafka properties (kcat `-X`, confluent-kafka, Java-like)."""
    if credentials is None:
        return {}
    options = {
        "security.protocol": credentials.security_protocol,
        "sasl.mechanisms": credentials.mechanism,
        "sasl.username": credentials.username,
        "sasl.password": credentials.password.get_secret_value(),
    }
    if credentials.ssl_cafile:
        options["ssl.ca.location"] = str(credentials.ssl_cafile)
    return options


def credentials_env(credentials: KafkaCredentials) -> dict[str, str]:
    """The same credentials as BEATSTITCH_* environment variables (our processes' settings)."""
    env = {
        "BEATSTITCH_KAFKA_USERNAME": credentials.username,
        "BEATSTITCH_KAFKA_PASSWORD": credentials.password.get_secret_value(),
        "BEATSTITCH_KAFKA_SASL_MECHANISM": credentials.mechanism,
        "BEATSTITCH_KAFKA_SECURITY_PROTOCOL": credentials.security_protocol,
    }
    if credentials.ssl_cafile:
        env["BEATSTITCH_KAFKA_SSL_CAFILE"] = str(credentials.ssl_cafile)
    return env
