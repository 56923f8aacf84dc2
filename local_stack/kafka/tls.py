"""TLS for the local broker, when asked for: a self-signed certificate for 127.0.0.1 made
once with the JDK's keytool, the broker's keystore and truststore, and the PEM clients trust.

The certificate is its own authority: clients trust exactly it (`kafka-ca.pem` beside the
secrets file, events/kafka_credentials.py), and verify that it names 127.0.0.1 and localhost."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from events.kafka_credentials import local_ca_path
from local_stack.errors import KafkaBrokerError

VALIDITY_DAYS = 3650


@dataclass(frozen=True)
class LocalTls:
    """Where the broker's TLS material is, and the password of its stores."""

    keystore: Path
    truststore: Path
    ca_file: Path
    password: str

    def properties(self) -> dict[str, str]:
        """The broker's ssl.* settings for these stores."""
        return {
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(self.keystore),
            "ssl.keystore.password": self.password,
            "ssl.key.password": self.password,
            "ssl.truststore.type": "PKCS12",
            "ssl.truststore.location": str(self.truststore),
            "ssl.truststore.password": self.password,
        }


def ensure_tls(java: str, folder: Path, ca_file: Path, password: str) -> LocalTls:
    """Make the stores and the client PEM unless they exist; return where they are."""
    tls = LocalTls(folder / "broker.p12", folder / "trust.p12", ca_file, password)
    if tls.keystore.exists() and tls.truststore.exists() and ca_file.exists():
        return tls
    folder.mkdir(parents=True, exist_ok=True)
    for path in (tls.keystore, tls.truststore):
        path.unlink(missing_ok=True)
    store = ["-storetype", "PKCS12", "-storepass", password]
    _keytool(
        java,
        "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048",
        "-validity", str(VALIDITY_DAYS), "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-keystore", str(tls.keystore), "-keypass", password, *store,
    )  # fmt: skip
    _keytool(
        java,
        "-exportcert", "-rfc", "-alias", "broker",
        "-keystore", str(tls.keystore), "-file", str(ca_file), *store,
    )  # fmt: skip
    _keytool(
        java,
        "-importcert", "-noprompt", "-alias", "broker",
        "-file", str(ca_file), "-keystore", str(tls.truststore), *store,
    )  # fmt: skip
    return tls


def _keytool(java: str, *args: str) -> None:
    keytool = Path(java).resolve().with_name("keytool")
    done = subprocess.run(
        [str(keytool), *args], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise KafkaBrokerError(
            f"keytool could not make the broker's TLS certificate: {done.stderr.strip()}"
        )


def prepare_tls(java: str, secrets_file: Path, wanted: bool, password: str) -> LocalTls | None:
    """The TLS material beside the secrets file when TLS is wanted; else None, and clients
    told (by the certificate's absence) to speak without it."""
    ca_file = local_ca_path(secrets_file.parent)
    if not wanted:
        ca_file.unlink(missing_ok=True)
        return None
    return ensure_tls(java, secrets_file.parent / "kafka-tls", ca_file, password)
