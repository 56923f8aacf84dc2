"""The passwords of a local broker's two own principals, kept in one file beside its data.

`broker` authenticates with PLAIN (its password is in server.properties): brokers and
controllers talk to each other as it, and the launcher probes and bootstraps with it.
`service` is the SCRAM principal of the workers, the projector and the API; clients find
its password in the same file when no credentials are set (events/kafka_credentials.py).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from events.kafka_credentials import (
    SERVICE_PRINCIPAL,
    KafkaCredentials,
    local_credentials,
    read_local_secrets,
)
from events.settings import KafkaSettings

BROKER_PRINCIPAL = "broker"


@dataclass(frozen=True)
class LocalSecrets:
    """The passwords of `broker` and `service` for one local broker or cluster."""

    broker_password: str
    service_password: str
    # The folder of the secrets file: the broker speaks TLS while its certificate is there.
    folder: Path

    @property
    def broker(self) -> KafkaCredentials:
        """The broker's own super user, over PLAIN."""
        return local_credentials(BROKER_PRINCIPAL, self.broker_password, "PLAIN", self.folder)

    @property
    def service(self) -> KafkaCredentials:
        """The service principal, over SCRAM."""
        return local_credentials(
            SERVICE_PRINCIPAL, self.service_password, "SCRAM-SHA-512", self.folder
        )


def load_or_create_secrets(path: Path, service_password: str | None = None) -> LocalSecrets:
    """Read the secrets file, creating missing passwords; `service_password` overrides.

    The file is readable by its owner only: it holds the cluster's super user."""
    stored = read_local_secrets(path)
    wanted = {
        BROKER_PRINCIPAL: stored.get(BROKER_PRINCIPAL) or secrets.token_urlsafe(24),
        SERVICE_PRINCIPAL: service_password
        or stored.get(SERVICE_PRINCIPAL)
        or secrets.token_urlsafe(24),
    }
    if wanted != stored:
        _write_private(path, json.dumps(wanted, indent=2) + "\n")
    return LocalSecrets(wanted[BROKER_PRINCIPAL], wanted[SERVICE_PRINCIPAL], path.parent)


def read_secrets(path: Path) -> LocalSecrets | None:
    """The passwords in the secrets file, or None before the broker's first start."""
    stored = read_local_secrets(path)
    if BROKER_PRINCIPAL not in stored or SERVICE_PRINCIPAL not in stored:
        return None
    return LocalSecrets(stored[BROKER_PRINCIPAL], stored[SERVICE_PRINCIPAL], path.parent)


def service_password_of(settings: KafkaSettings) -> str | None:
    """The service principal's password when settings name it, for the broker to take."""
    if settings.kafka_username == SERVICE_PRINCIPAL and settings.kafka_password:
        return settings.kafka_password.get_secret_value()
    return None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
