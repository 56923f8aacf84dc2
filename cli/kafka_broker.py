"""Start, stop and inspect BeatStitch's own single-node Apache Kafka broker (KRaft mode).

The broker is Kafka itself, run from the jars that `make install` copies into
`.data/kafka-libs` (see kafka/pom.xml): one JVM acting as broker and controller, listening
on 127.0.0.1 only. Storage is formatted once with Kafka's own StorageTool; readiness means a
real Kafka metadata request answered by that broker, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import structlog

from events.settings import KafkaSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOG_CONFIG = REPO_ROOT / "kafka" / "log4j2.yaml"

BROKER_MAIN_CLASS = "kafka.Kafka"
# Kafka 4.x still ships the storage tool as the Scala object behind bin/kafka-storage.sh.
STORAGE_TOOL_MAIN_CLASS = "kafka.tools.StorageTool"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_START_TIMEOUT_S = 90.0
DEFAULT_STOP_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.1

# Measured on the 2-core target (restart of a formatted broker, median of 3):
# G1 4.9 s, SerialGC 3.0 s, SerialGC + C1 only (TieredStopAtLevel=1) 2.2 s. With 2 cores, G1's
# and C2's background threads compete with the start-up itself; C1-only code was no slower
# on a create-20-topics / produce-20k / consume-5-groups workload because the Python clients,
# not the broker, are the bottleneck at this scale. The heap suits a single-node dev broker.
DEFAULT_BROKER_JVM_OPTS: tuple[str, ...] = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)
# The storage tool runs for about a second, so only start-up speed matters for it.
TOOL_JVM_OPTS: tuple[str, ...] = (
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)

_KAFKA_JAR = re.compile(r"^kafka_2\.1[23]-(?P<version>.+)\.jar$")
_LOG_TAIL_LINES = 40


class KafkaBrokerError(RuntimeError):
    """A local-broker problem whose message is a sentence that says how to fix it."""


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


@dataclass(frozen=True)
class ClusterInfo:
    """The answer of a Kafka metadata request: cluster id, controller and broker addresses."""

    cluster_id: str | None
    controller_id: int | None
    brokers: tuple[str, ...]


def free_tcp_ports(count: int, host: str = DEFAULT_HOST) -> list[int]:
    """Return `count` distinct TCP ports that were free on `host` a moment ago."""
    sockets: list[socket.socket] = []
    try:
        # Hold every socket open until all ports are picked, so the OS cannot hand out
        # the same port twice.
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def kafka_uuid() -> str:
    """Return a random id in Kafka's Uuid text form (22 chars of unpadded URL-safe base64)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        # Kafka's Uuid.randomUuid() rejects ids starting with '-' because command-line
        # parsers would read them as options.
        if not text.startswith("-"):
            return text


async def probe_cluster(bootstrap: str, timeout_s: float = 5.0) -> ClusterInfo:
    """Send one Kafka metadata request to `bootstrap` and return what the cluster says."""
    # Imported here so `beatstitch --help` does not pay for aiokafka's import.
    from aiokafka.admin import AIOKafkaAdminClient

    timeout_ms = max(500, int(timeout_s * 1000))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=timeout_ms,
        client_id="beatstitch-kafka-probe",
    )
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            described = await admin.describe_cluster()
    finally:
        await admin.close()
    brokers = tuple(f"{b['host']}:{b['port']}" for b in described.get("brokers", []))
    if not brokers:
        raise KafkaBrokerError(f"The Kafka cluster at {bootstrap} answered with no brokers.")
    return ClusterInfo(
        cluster_id=described.get("cluster_id"),
        controller_id=described.get("controller_id"),
        brokers=brokers,
    )


def check_cluster(bootstrap: str, timeout_s: float = 5.0) -> ClusterInfo:
    """Synchronously probe `bootstrap`; raise KafkaBrokerError if no broker answers."""
    try:
        return _run_sync(probe_cluster(bootstrap, timeout_s))
    except KafkaBrokerError:
        raise
    except Exception as exc:  # any client error means "not reachable" to the caller
        raise KafkaBrokerError(
            f"No Kafka broker answered at {bootstrap} ({type(exc).__name__}: {exc}). "
            "Check that the cluster is up and the address is right."
        ) from exc


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from async code (e.g. an async test): asyncio.run() would refuse to nest, so
    # run the coroutine on its own loop in a worker thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _tcp_open(host: str, port: int) -> bool:
    """Return True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _port_free(host: str, port: int) -> bool:
    """Return True if a listener could bind host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Java sets SO_REUSEADDR on server sockets, so TIME_WAIT leftovers from a broker
        # that just stopped must not count as "in use" here either.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last `lines` lines of a text file, or a note that it does not exist."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])


def _read_properties(path: Path) -> dict[str, str]:
    """Parse a simple Java .properties file (key=value lines, # comments)."""
    result: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", "!")) or "=" not in line:
                continue
            key, value = line.split("=", 1)
            result[key.strip()] = value.strip()
    return result


class LocalKafka:
    """One local Kafka JVM (broker + KRaft controller) owned by a data directory."""

    def __init__(
        self,
        libs_dir: Path,
        data_dir: Path,
        port: int = 19092,
        controller_port: int | None = None,
        *,
        host: str = DEFAULT_HOST,
        jvm_opts: Sequence[str] = DEFAULT_BROKER_JVM_OPTS,
        log_config: Path | None = DEFAULT_LOG_CONFIG,
        java: str | None = None,
        extra_properties: Mapping[str, str] | None = None,
    ) -> None:
        self.libs_dir = Path(libs_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
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
        # Only set when this object launched the JVM, so we can reap it (no zombie).
        self._proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(cls, settings: KafkaSettings | None = None, **kwargs: Any) -> LocalKafka:
        """Build the default broker: jars in <data_dir>/kafka-libs, state in <data_dir>/kafka."""
        settings = settings or KafkaSettings()
        kwargs.setdefault("libs_dir", settings.data_dir / "kafka-libs")
        kwargs.setdefault("data_dir", settings.data_dir / "kafka")
        kwargs.setdefault("port", settings.local_kafka_port)
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
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        """The broker's log (JVM stdout/stderr plus Kafka's log4j output)."""
        return self.data_dir / "broker.log"

    @property
    def log_dir(self) -> Path:
        """Kafka's log.dirs: topic partitions and the __cluster_metadata log."""
        return self.data_dir / "log"

    @property
    def kafka_version(self) -> str | None:
        """The Kafka version of the jars in libs_dir, or None if they are missing."""
        versions = self._kafka_versions()
        return versions[0] if len(versions) == 1 else None

    # -- configuration -----------------------------------------------------------------

    def server_properties(self) -> dict[str, str]:
        """Return the broker configuration written to server.properties."""
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            # A static voter set (not `format --standalone`): the voters then come from this
            # file on every start instead of being frozen in the metadata log, so the
            # controller port can change between runs of the same data dir.
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:"
                f"{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            # Topics come from the event catalog with explicit partition counts; a typo'd
            # topic must fail loudly rather than appear with the default layout.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            # One broker: every internal topic can only have one replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # 50 partitions each by default; creating them on the first group join or
            # transaction costs seconds on 2 cores and buys nothing on one broker.
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.num.partitions": "8",
            # Single-member groups (tests, one worker) should not wait 3 s for more members.
            "group.initial.rebalance.delay.ms": "0",
            # The log is the source of truth (read models are rebuilt from it), so the
            # local broker keeps events forever; small segments keep disk use modest.
            "log.retention.ms": "-1",
            "log.segment.bytes": str(16 * 1024 * 1024),
            "log.index.size.max.bytes": str(1024 * 1024),
            # The cleaner (for compacted topics) allocates this buffer up front: 128 MiB by
            # default, too much for a 768 MiB heap.
            "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        }
        props.update(self.extra_properties)
        return props

    def _write_properties(self) -> None:
        """Write server.properties (ports may differ between runs, so always rewrite)."""
        lines = ["# Written by cli/kafka_broker.py on every start; edits are overwritten."]
        lines += [f"{key}={value}" for key, value in self.server_properties().items()]
        self.properties_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- preconditions -----------------------------------------------------------------

    def java_executable(self) -> str:
        """Find java: the explicit path, then $JAVA_HOME/bin/java, then PATH."""
        if self._java:
            return self._java
        java_home = os.environ.get("JAVA_HOME")
        if java_home:
            candidate = Path(java_home) / "bin" / "java"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        found = shutil.which("java")
        if found is None:
            raise KafkaBrokerError(
                "Java was not found (no $JAVA_HOME/bin/java and no `java` on PATH). Install "
                "a Java 17+ runtime (e.g. `apt-get install openjdk-17-jre-headless`) or set "
                "BEATSTITCH_KAFKA_BOOTSTRAP to use an existing Kafka cluster."
            )
        return found

    def _kafka_versions(self) -> list[str]:
        """Return the Kafka versions of every kafka_2.1x-*.jar found in libs_dir."""
        if not self.libs_dir.is_dir():
            return []
        versions = []
        for jar in self.libs_dir.iterdir():
            match = _KAFKA_JAR.match(jar.name)
            if match:
                versions.append(match.group("version"))
        return sorted(versions)

    def _check_libs(self) -> None:
        """Fail with the fix if the Kafka jars are missing or mixed from two versions."""
        versions = self._kafka_versions()
        if not versions:
            raise KafkaBrokerError(
                f"Kafka's jars are not installed in {self.libs_dir}. Run `make install` (or "
                "`make kafka-jars`) in the repository root to fetch them with Maven, or set "
                "BEATSTITCH_KAFKA_BOOTSTRAP to use an existing Kafka cluster."
            )
        if len(versions) > 1:
            # Maven's copy-dependencies never deletes old jars, so bumping the version in
            # kafka/pom.xml would otherwise put two Kafkas on one classpath.
            raise KafkaBrokerError(
                f"{self.libs_dir} holds jars of several Kafka versions ({', '.join(versions)}). "
                f"Delete that directory and run `make install` again."
            )

    # -- process bookkeeping -----------------------------------------------------------

    def _read_pid(self) -> int | None:
        """Return the pid from the pid file, or None if there is none or it is garbage."""
        try:
            return int(self.pid_file.read_text(encoding="ascii").strip())
        except (FileNotFoundError, ValueError):
            return None

    def _is_our_broker(self, pid: int) -> bool:
        """Return True if `pid` is alive and is the Kafka JVM of this data directory."""
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, owned by someone else; the cmdline check below decides
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not cmdline.parent.exists():
            return True  # no procfs (macOS): trust the pid file
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        # Guards against pid reuse after a reboot or crash; a zombie has an empty cmdline.
        return BROKER_MAIN_CLASS.encode() in args and str(self.properties_file).encode() in args

    def _running_pid(self) -> int | None:
        """Return the broker's pid if it is running, removing a stale pid file otherwise."""
        pid = self._read_pid()
        if pid is None:
            return None
        if self._is_our_broker(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start/stop of this data directory across processes."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".launcher.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _running_address(self) -> tuple[str, int]:
        """Return host and port of the PLAINTEXT listener in the server.properties on disk.

        A running broker may have been started with other ports than this object was given
        (e.g. `kafka start --port 29092`, then `kafka status`); the file says what it uses.
        """
        listeners = _read_properties(self.properties_file).get("advertised.listeners", "")
        for listener in listeners.split(","):
            match = re.fullmatch(r"PLAINTEXT://(?P<host>[^:]+):(?P<port>\d+)", listener.strip())
            if match:
                return match.group("host"), int(match.group("port"))
        return self.host, self.port

    def _cluster_id_on_disk(self) -> str | None:
        """Return the cluster id recorded by the storage tool, if storage is formatted."""
        return _read_properties(self.log_dir / "meta.properties").get("cluster.id")

    # -- lifecycle ---------------------------------------------------------------------

    def _format_storage(self, java: str) -> None:
        """Format log.dirs with Kafka's StorageTool unless it already has been."""
        if self._cluster_id_on_disk() is not None:
            return
        cluster_id = kafka_uuid()
        cmd = [
            java,
            *TOOL_JVM_OPTS,
            *self._log_config_opts(),
            "-cp",
            self._classpath(),
            STORAGE_TOOL_MAIN_CLASS,
            "format",
            "--config",
            str(self.properties_file),
            "--cluster-id",
            cluster_id,
        ]
        started = time.monotonic()
        result = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
            check=False,
        )
        output = result.stdout.decode("utf-8", errors="replace").strip()
        if result.returncode != 0:
            raise KafkaBrokerError(
                f"Kafka's storage tool could not format {self.log_dir} (exit code "
                f"{result.returncode}); its output says why. If the directory is damaged, delete "
                f"{self.data_dir} to start from scratch. Output:\n"
                f"{output}"
            )
        log.info(
            "kafka.storage.formatted",
            log_dir=str(self.log_dir),
            cluster_id=cluster_id,
            seconds=round(time.monotonic() - started, 2),
        )

    def _classpath(self) -> str:
        """Return the JVM classpath: every jar in libs_dir (Java expands the wildcard)."""
        return str(self.libs_dir / "*")

    def _log_config_opts(self) -> list[str]:
        """Return the -D options that point log4j2 at our config, if it exists."""
        if self.log_config is not None and self.log_config.is_file():
            return [f"-Dlog4j2.configurationFile={self.log_config}"]
        log.warning("kafka.log_config.missing", path=str(self.log_config))
        return []

    def _launch(self, java: str) -> subprocess.Popen[bytes]:
        """Start the broker JVM detached from our session, logging to log_file."""
        if self.log_file.exists():
            # Keep exactly one previous run for post-mortems; the log never grows unbounded
            # across runs.
            self.log_file.replace(self.log_file.with_name(self.log_file.name + ".1"))
        cmd = [
            java,
            *self.jvm_opts,
            *self._log_config_opts(),
            f"-Dkafka.logs.dir={self.data_dir}",
            "-cp",
            self._classpath(),
            BROKER_MAIN_CLASS,
            str(self.properties_file),
        ]
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Own session: Ctrl-C in the terminal that ran `beatstitch kafka start` must
                # not reach the broker, and it outlives the CLI process.
                start_new_session=True,
                close_fds=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n", encoding="ascii")
        return proc

    def _failure(self, what: str) -> KafkaBrokerError:
        """Build an error that includes the tail of the broker log and a likely fix."""
        tail = _tail(self.log_file)
        hint = ""
        if "UnsupportedClassVersionError" in tail:
            hint = " Kafka 4 needs Java 17 or newer; point JAVA_HOME at one."
        elif "Address already in use" in tail:
            hint = " Another process holds one of the ports; stop it or choose other ports."
        elif "Failed to acquire lock" in tail:
            hint = f" Another Kafka process is using {self.log_dir}; stop it first."
        return KafkaBrokerError(f"{what}{hint}\nLast lines of {self.log_file}:\n{tail}")

    async def _wait_ready_async(
        self, pid: int, deadline: float, host: str, port: int
    ) -> ClusterInfo:
        """Poll every POLL_INTERVAL_S until the broker answers a metadata request."""
        bootstrap = f"{host}:{port}"
        expected_cluster = self._cluster_id_on_disk()
        last_error: str = "no answer yet"
        while True:
            if not self._is_our_broker(pid):
                raise self._failure(f"The Kafka broker (pid {pid}) exited during start-up.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._failure(
                    f"The Kafka broker (pid {pid}) did not answer a metadata request on "
                    f"{bootstrap} in time (last error: {last_error})."
                )
            # A plain TCP check first: until the listener is bound, a Kafka client would
            # only log connection errors.
            if _tcp_open(host, port):
                try:
                    info = await probe_cluster(bootstrap, min(remaining, 5.0))
                except Exception as exc:  # not ready yet; keep polling until the deadline
                    last_error = f"{type(exc).__name__}: {exc}"
                else:
                    if expected_cluster is not None and info.cluster_id != expected_cluster:
                        raise KafkaBrokerError(
                            f"{bootstrap} is served by another Kafka cluster "
                            f"({info.cluster_id}, expected {expected_cluster}). Stop that "
                            "broker or choose another port."
                        )
                    return info
            await asyncio.sleep(POLL_INTERVAL_S)

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> BrokerInfo:
        """Start the broker (or find it running) and return once it answers Kafka requests."""
        started = time.monotonic()
        deadline = started + timeout_s
        with self._lock():
            java = self.java_executable()
            self._check_libs()
            pid = self._running_pid()
            if pid is not None:
                # It may still be starting (another `start` a moment ago): wait for it.
                host, port = self._running_address()
                info = _run_sync(self._wait_ready_async(pid, deadline, host, port))
                result = self._info(pid, started, info, already_running=True, host=host, port=port)
                log.info("kafka.broker.already_running", bootstrap=result.bootstrap, pid=pid)
                return result
            for port in (self.port, self.controller_port):
                if not _port_free(self.host, port):
                    raise KafkaBrokerError(
                        f"Port {port} on {self.host} is already in use by another process. "
                        "Stop it, or pick other ports (BEATSTITCH_LOCAL_KAFKA_PORT / "
                        "--port and --controller-port)."
                    )
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._write_properties()
            self._format_storage(java)
            proc = self._launch(java)
            self._proc = proc
            try:
                info = _run_sync(self._wait_ready_async(proc.pid, deadline, self.host, self.port))
            except BaseException:
                # Never leave a half-started JVM behind holding the ports and the lock.
                self._kill(proc.pid, DEFAULT_STOP_TIMEOUT_S)
                self.pid_file.unlink(missing_ok=True)
                raise
            result = self._info(
                proc.pid, started, info, already_running=False, host=self.host, port=self.port
            )
            log.info(
                "kafka.broker.started",
                bootstrap=self.bootstrap,
                pid=proc.pid,
                seconds=round(result.seconds, 2),
                kafka_version=result.kafka_version,
            )
            return result

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

    def _wait_exit(self, pid: int, timeout_s: float) -> bool:
        """Poll until `pid` is gone (reaping it if it is our child); True if it exited."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                try:
                    self._proc.wait(timeout=POLL_INTERVAL_S)
                    return True
                except subprocess.TimeoutExpired:
                    continue
            if not self._is_our_broker(pid):
                return True
            time.sleep(POLL_INTERVAL_S)
        return not self._is_our_broker(pid)

    def _kill(self, pid: int, timeout_s: float) -> None:
        """SIGTERM (Kafka's clean shutdown), then SIGKILL if it does not exit in time."""
        for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            if self._wait_exit(pid, wait):
                return
            log.warning("kafka.broker.stop_timeout", pid=pid, signal=sig.name)
        raise KafkaBrokerError(
            f"The Kafka broker (pid {pid}) did not exit even after SIGKILL; check `ps {pid}`."
        )

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> bool:
        """Stop the broker if it runs; return True if a process was stopped."""
        with self._lock():
            pid = self._running_pid()
            if pid is None:
                return False
            self._kill(pid, timeout_s)
            self.pid_file.unlink(missing_ok=True)
            self._proc = None
            log.info("kafka.broker.stopped", pid=pid)
            return True

    def status(self, probe_timeout_s: float = 3.0) -> BrokerStatus:
        """Report whether the broker process runs and answers a metadata request."""
        pid = self._running_pid()
        host, port = self._running_address() if pid is not None else (self.host, self.port)
        responsive = False
        if pid is not None and _tcp_open(host, port):
            try:
                check_cluster(f"{host}:{port}", probe_timeout_s)
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


__all__ = [
    "BrokerInfo",
    "BrokerStatus",
    "ClusterInfo",
    "KafkaBrokerError",
    "LocalKafka",
    "check_cluster",
    "free_tcp_ports",
    "kafka_uuid",
    "probe_cluster",
]
