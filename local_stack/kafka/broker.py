"""Start, stop and inspect one local Kafka broker (KRaft: broker and controller in one JVM).

It listens on 127.0.0.1 only, and only to authenticated clients (SASL, with ACLs; see
properties.security_properties). Storage is formatted once with Kafka's own StorageTool;
readiness means a real Kafka metadata request answered by that broker, never a fixed sleep.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from events.kafka_credentials import local_secrets_path
from events.settings import KafkaSettings
from local_stack.errors import KafkaBrokerError
from local_stack.kafka.jvm import (
    BROKER_MAIN_CLASS,
    DEFAULT_BROKER_JVM_OPTS,
    DEFAULT_LOG_CONFIG,
    check_libs,
    find_java,
    format_storage,
    java_command,
    kafka_versions,
)
from local_stack.kafka.principals import ensure_service_principal
from local_stack.kafka.probe import ClusterInfo, check_cluster, run_sync
from local_stack.kafka.process import BrokerProcess, data_dir_lock
from local_stack.kafka.properties import (
    advertised_address,
    server_properties,
    write_properties,
)
from local_stack.kafka.readiness import wait_answering
from local_stack.kafka.secrets import (
    LocalSecrets,
    load_or_create_secrets,
    read_secrets,
    service_password_of,
)
from local_stack.kafka.tls import prepare_tls
from local_stack.ports import LOOPBACK, port_free, tcp_open

log = structlog.get_logger(__name__)

DEFAULT_START_TIMEOUT_S = 90.0
DEFAULT_STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BrokerInfo:
    """What start() found or did: where the broker listens and how long start-up took."""

    bootstrap: str
    pid: int
    seconds: float
    already_running: bool
    kafka_version: str | None
    cluster_id: str | None
    data_dir: Path
    log_file: Path


@dataclass(frozen=True)
class BrokerStatus:
    """Whether the local broker process is alive and answering Kafka requests."""

    running: bool
    responsive: bool
    pid: int | None
    bootstrap: str
    kafka_version: str | None
    data_dir: Path
    log_file: Path


class LocalKafka:
    """One local Kafka JVM (broker + KRaft controller) owned by a data directory."""

    def __init__(
        self,
        libs_dir: Path,
        data_dir: Path,
        port: int = 19092,
        controller_port: int | None = None,
        *,
        host: str = LOOPBACK,
        jvm_opts: Sequence[str] = DEFAULT_BROKER_JVM_OPTS,
        log_config: Path | None = DEFAULT_LOG_CONFIG,
        java: str | None = None,
        extra_properties: Mapping[str, str] | None = None,
        secrets_file: Path | None = None,
        service_password: str | None = None,
        tls: bool | None = None,
    ) -> None:
        self.libs_dir = Path(libs_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        # Beside the data directory, shared with a cluster of the same parent folder: the
        # place clients look for the service principal (<data_dir>/kafka-secrets.json).
        self.secrets_file = secrets_file or local_secrets_path(self.data_dir.parent)
        # Unset: the password settings give the service principal, else the file's own.
        self.service_password = service_password or service_password_of(KafkaSettings())
        # Unset: BEATSTITCH_LOCAL_KAFKA_TLS.
        self.tls = KafkaSettings().local_kafka_tls if tls is None else tls
        self.host = host
        self.port = port
        self.controller_port = controller_port if controller_port is not None else port + 1
        if self.controller_port == self.port:
            raise KafkaBrokerError(
                f"The controller port must differ from the broker port ({port}); "
                "pick another controller port."
            )
        self.jvm_opts = tuple(jvm_opts)
        self.log_config = log_config
        self._java = java
        self.extra_properties = dict(extra_properties or {})
        self._process = BrokerProcess(self.data_dir, self.properties_file)

    @classmethod
    def from_settings(cls, settings: KafkaSettings | None = None, **kwargs: Any) -> LocalKafka:
        """Build the default broker: jars in <data_dir>/kafka-libs, state in <data_dir>/kafka."""
        settings = settings or KafkaSettings()
        kwargs.setdefault("libs_dir", settings.data_dir / "kafka-libs")
        kwargs.setdefault("data_dir", settings.data_dir / "kafka")
        kwargs.setdefault("port", settings.local_kafka_port)
        kwargs.setdefault("tls", settings.local_kafka_tls)
        return cls(**kwargs)

    # -- paths -------------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use: host:port of the PLAINTEXT listener."""
        return f"{self.host}:{self.port}"

    @property
    def properties_file(self) -> Path:
        """The server.properties this launcher writes on every start."""
        return self.data_dir / "server.properties"

    @property
    def pid_file(self) -> Path:
        """The file holding the broker JVM's process id while it runs."""
        return self._process.pid_file

    @property
    def log_file(self) -> Path:
        """The broker's log (JVM stdout/stderr plus Kafka's log4j output)."""
        return self._process.log_file

    @property
    def log_dir(self) -> Path:
        """Kafka's log.dirs: topic partitions and the __cluster_metadata log."""
        return self.data_dir / "log"

    @property
    def kafka_version(self) -> str | None:
        """The Kafka version of the jars in libs_dir, or None if they are missing."""
        versions = kafka_versions(self.libs_dir)
        return versions[0] if len(versions) == 1 else None

    def _running_address(self) -> tuple[str, int]:
        """Return host and port of the PLAINTEXT listener in the server.properties on disk.

        A running broker may have been started with other ports than this object was given
        (e.g. `kafka start --port 29092`, then `kafka status`); the file says what it uses.
        """
        return advertised_address(self.properties_file) or (self.host, self.port)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> BrokerInfo:
        """Start the broker (or find it running) and return once it answers Kafka requests."""
        started = time.monotonic()
        deadline = started + timeout_s
        with data_dir_lock(self.data_dir):
            java = find_java(self._java)
            check_libs(self.libs_dir)
            pid = self._process.running_pid()
            if pid is not None:
                # It may still be starting (another `start` a moment ago): wait for it.
                host, port = self._running_address()
                secrets = self._secrets()
                info = run_sync(self._wait_ready(pid, deadline, (host, port), secrets))
                ensure_service_principal(
                    f"{host}:{port}", secrets.broker, secrets.service, deadline
                )
                result = self._info(pid, started, info, already_running=True, host=host, port=port)
                log.info("kafka.broker.already_running", bootstrap=result.bootstrap, pid=pid)
                return result
            return self._launch(java, started, deadline)

    def _launch(self, java: str, started: float, deadline: float) -> BrokerInfo:
        """Configure, format and launch a broker that is not running; wait until it answers."""
        for port in (self.port, self.controller_port):
            if not port_free(self.host, port):
                raise KafkaBrokerError(
                    f"Port {port} on {self.host} is already in use by another process. "
                    "Stop it, or pick other ports (BEATSTITCH_LOCAL_KAFKA_PORT / "
                    "--port and --controller-port)."
                )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        secrets = self._secrets()
        tls = prepare_tls(java, self.secrets_file, self.tls, secrets.broker_password)
        write_properties(
            self.properties_file,
            server_properties(
                self.host,
                self.port,
                self.controller_port,
                self.log_dir,
                self.extra_properties,
                secrets.broker_password,
                tls.properties() if tls else None,
            ),
        )
        format_storage(
            java, self.libs_dir, self.log_config, self.data_dir, self.properties_file, self.log_dir
        )
        command = java_command(
            java,
            self.jvm_opts,
            self.log_config,
            self.libs_dir,
            BROKER_MAIN_CLASS,
            str(self.properties_file),
            defines=(f"-Dkafka.logs.dir={self.data_dir}",),
        )
        pid = self._process.launch(command)
        try:
            info = run_sync(self._wait_ready(pid, deadline, (self.host, self.port), secrets))
            ensure_service_principal(self.bootstrap, secrets.broker, secrets.service, deadline)
        except BaseException:
            # Never leave a half-started JVM behind holding the ports and the lock.
            self._process.kill(pid, DEFAULT_STOP_TIMEOUT_S)
            self._process.forget()
            raise
        result = self._info(
            pid, started, info, already_running=False, host=self.host, port=self.port
        )
        log.info(
            "kafka.broker.started",
            bootstrap=self.bootstrap,
            pid=pid,
            seconds=round(result.seconds, 2),
            kafka_version=result.kafka_version,
        )
        return result

    async def _wait_ready(
        self, pid: int, deadline: float, address: tuple[str, int], secrets: LocalSecrets
    ) -> ClusterInfo:
        """Poll until the broker answers a metadata request (or fail with its log)."""
        return await wait_answering(
            self._process, pid, deadline, address, self.log_dir, secrets.broker
        )

    def _secrets(self) -> LocalSecrets:
        """The broker's and the service's passwords, made on first use."""
        return load_or_create_secrets(self.secrets_file, self.service_password)

    def _info(
        self,
        pid: int,
        started: float,
        cluster: ClusterInfo,
        *,
        already_running: bool,
        host: str,
        port: int,
    ) -> BrokerInfo:
        """Assemble a BrokerInfo for start()."""
        return BrokerInfo(
            bootstrap=f"{host}:{port}",
            pid=pid,
            seconds=time.monotonic() - started,
            already_running=already_running,
            kafka_version=self.kafka_version,
            cluster_id=cluster.cluster_id,
            data_dir=self.data_dir,
            log_file=self.log_file,
        )

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> bool:
        """Stop the broker if it runs; return True if a process was stopped."""
        with data_dir_lock(self.data_dir):
            pid = self._process.running_pid()
            if pid is None:
                return False
            self._process.kill(pid, timeout_s)
            self._process.forget()
            log.info("kafka.broker.stopped", pid=pid)
            return True

    def status(self, probe_timeout_s: float = 3.0) -> BrokerStatus:
        """Report whether the broker process runs and answers a metadata request."""
        pid = self._process.running_pid()
        host, port = self._running_address() if pid is not None else (self.host, self.port)
        responsive = False
        secrets = read_secrets(self.secrets_file)
        if pid is not None and secrets is not None and tcp_open(host, port):
            try:
                check_cluster(f"{host}:{port}", probe_timeout_s, secrets.broker)
                responsive = True
            except KafkaBrokerError:
                responsive = False
        return BrokerStatus(
            running=pid is not None,
            responsive=responsive,
            pid=pid,
            bootstrap=f"{host}:{port}",
            kafka_version=self.kafka_version,
            data_dir=self.data_dir,
            log_file=self.log_file,
        )
