"""TLS is one setting away: a local broker started with it takes SASL over TLS only, with a
certificate its clients trust by themselves; started again without it, plain SASL again."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from events.kafka_credentials import aiokafka_options, client_credentials
from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.broker import LocalKafka
from local_stack.kafka.probe import check_cluster
from local_stack.kafka.secrets import read_secrets
from local_stack.ports import free_tcp_ports
from tests.support.kafka import KAFKA_LIBS_DIR
from tests.support.kcat import kcat, needs_kcat


def local_client(data_dir: Path) -> KafkaSettings:
    """Settings of a client of this data dir that names no credentials of its own."""
    return KafkaSettings(data_dir=data_dir, kafka_username=None, kafka_password=None)


@needs_kcat
async def test_a_tls_broker_takes_sasl_over_tls_only_and_its_clients_find_the_certificate(
    tmp_path: Path,
) -> None:
    port, controller_port = free_tcp_ports(2)
    broker = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port, controller_port, tls=True)
    info = broker.start()
    try:
        service = client_credentials(local_client(tmp_path))
        assert service is not None
        assert service.security_protocol == "SASL_SSL"
        assert service.ssl_cafile == tmp_path / "kafka-ca.pem"
        # Our clients (aiokafka) and one that is not ours (kcat) talk TLS with it.
        admin = AIOKafkaAdminClient(bootstrap_servers=info.bootstrap, **aiokafka_options(service))
        await admin.start()
        try:
            assert (await admin.describe_cluster())["cluster_id"] == info.cluster_id
        finally:
            await admin.close()
        listed = kcat("-L", "-b", info.bootstrap, "-m", "10", credentials=service)
        assert listed.returncode == 0, listed.stderr
        # The same principal without TLS gets nowhere.
        plain = service.model_copy(
            update={"security_protocol": "SASL_PLAINTEXT", "ssl_cafile": None}
        )
        with pytest.raises(KafkaBrokerError, match="No Kafka broker answered"):
            check_cluster(info.bootstrap, 3.0, plain)
        assert broker.status().responsive
    finally:
        broker.stop()

    # Started again without TLS: the certificate is withdrawn and clients follow.
    plain_again = LocalKafka(KAFKA_LIBS_DIR, tmp_path / "kafka", port, controller_port, tls=False)
    again = plain_again.start()
    try:
        assert not (tmp_path / "kafka-ca.pem").exists()
        service = client_credentials(local_client(tmp_path))
        assert service is not None and service.security_protocol == "SASL_PLAINTEXT"
        secrets = read_secrets(tmp_path / "kafka-secrets.json")
        assert secrets is not None
        assert check_cluster(again.bootstrap, 5.0, secrets.service).cluster_id == info.cluster_id
    finally:
        plain_again.stop()
