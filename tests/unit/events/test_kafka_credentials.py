"""Who a client is to Kafka: settings first, then the local broker's service principal,
else anonymous; and the same credentials for aiokafka, librdkafka and our environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from events.kafka_credentials import (
    KafkaCredentials,
    aiokafka_options,
    client_credentials,
    credentials_env,
    librdkafka_options,
    local_secrets_path,
)
from events.settings import KafkaSettings

SETTINGS_ENV = (
    "BEATSTITCH_KAFKA_USERNAME",
    "BEATSTITCH_KAFKA_PASSWORD",
    "BEATSTITCH_KAFKA_SASL_MECHANISM",
    "BEATSTITCH_KAFKA_SECURITY_PROTOCOL",
    "BEATSTITCH_KAFKA_SSL_CAFILE",
)


@pytest.fixture(autouse=True)
def no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test session logs in from the environment; these tests set it themselves."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


def write_secrets(data_dir: Path, service: str) -> None:
    local_secrets_path(data_dir).write_text(json.dumps({"broker": "b", "service": service}))


def test_settings_name_the_principal(tmp_path: Path) -> None:
    write_secrets(tmp_path, "from-file")
    settings = KafkaSettings(
        data_dir=tmp_path,
        kafka_username="shop",
        kafka_password=SecretStr("pw"),
        kafka_sasl_mechanism="SCRAM-SHA-256",
    )
    found = client_credentials(settings)
    assert found is not None
    assert (found.username, found.password.get_secret_value()) == ("shop", "pw")
    assert (found.mechanism, found.security_protocol) == ("SCRAM-SHA-256", "SASL_PLAINTEXT")


def test_without_settings_the_local_service_principal_logs_in(tmp_path: Path) -> None:
    write_secrets(tmp_path, "from-file")
    found = client_credentials(KafkaSettings(data_dir=tmp_path))
    assert found is not None
    assert (found.username, found.password.get_secret_value()) == ("service", "from-file")


def test_without_settings_or_a_local_broker_the_client_is_anonymous(tmp_path: Path) -> None:
    assert client_credentials(KafkaSettings(data_dir=tmp_path)) is None
    assert aiokafka_options(None) == {} and librdkafka_options(None) == {}


def test_plaintext_turns_credentials_off(tmp_path: Path) -> None:
    write_secrets(tmp_path, "from-file")
    settings = KafkaSettings(
        data_dir=tmp_path, kafka_username="x", kafka_security_protocol="PLAINTEXT"
    )
    assert client_credentials(settings) is None


def test_one_principal_in_each_client_s_words(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    who = KafkaCredentials(
        username="ana", password=SecretStr("s3"), security_protocol="SASL_SSL", ssl_cafile=ca
    )
    assert librdkafka_options(who) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "ana",
        "sasl.password": "s3",
        "ssl.ca.location": str(ca),
    }
    env = credentials_env(who)
    assert env["BEATSTITCH_KAFKA_USERNAME"] == "ana"
    assert env["BEATSTITCH_KAFKA_SSL_CAFILE"] == str(ca)
    # Read back as settings, the environment names the same principal.
    again = client_credentials(
        KafkaSettings(**{k.removeprefix("BEATSTITCH_").lower(): v for k, v in env.items()})
    )
    assert again == who
    plain = aiokafka_options(who.model_copy(update={"security_protocol": "SASL_PLAINTEXT"}))
    assert plain == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "ana",
        "sasl_plain_password": "s3",
    }
