"""Start, stop and inspect one local S3Proxy JVM, owned by a data directory.

It listens on 127.0.0.1 only and answers only requests signed with its own key pair (made
once into a file readable by its owner only). Readiness means a signed ListBuckets answered
by it, never a fixed sleep; the configured bucket is created on start when missing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from local_stack.errors import LocalStackError
from local_stack.kafka.jvm import find_java
from local_stack.kafka.process import POLL_INTERVAL_S, BrokerProcess, data_dir_lock
from local_stack.ports import LOOPBACK, port_free, tcp_open
from local_stack.s3proxy.config import (
    DEFAULT_BUCKET,
    DEFAULT_JVM_OPTS,
    DEFAULT_PORT,
    LOG_CONFIG,
    MAIN_CLASS,
    REGION,
    S3ProxyError,
    S3ProxyKeys,
    check_libs,
    load_or_create_keys,
    server_properties,
    write_private,
)
from storage.s3_client import error_code, s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

DEFAULT_START_TIMEOUT_S = 60.0
DEFAULT_STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class S3ProxyInfo:
    """What start() found or did, and what a client needs to use the server."""

    endpoint_url: str
    pid: int
    seconds: float
    already_running: bool
    bucket: str
    keys: S3ProxyKeys
    data_dir: Path
    log_file: Path

    def settings_env(self) -> dict[str, str]:
        """The BEATSTITCH_* settings that point BeatStitch's storage at this server."""
        return {
            "BEATSTITCH_STORAGE_URL": f"s3://{self.bucket}",
            "BEATSTITCH_S3_ENDPOINT_URL": self.endpoint_url,
            "BEATSTITCH_S3_REGION": REGION,
            "BEATSTITCH_S3_ACCESS_KEY_ID": self.keys.access_key,
            "BEATSTITCH_S3_SECRET_ACCESS_KEY": self.keys.secret_key,
        }


@dataclass(frozen=True)
class S3ProxyStatus:
    """Whether the local S3 server runs and answers signed requests."""

    running: bool
    responsive: bool
    pid: int | None
    endpoint_url: str
    data_dir: Path
    log_file: Path


class LocalS3Proxy:
    """One local S3Proxy JVM owned by a data directory (its properties, keys, log, pid)."""

    def __init__(
        self,
        libs_dir: Path,
        data_dir: Path,
        port: int = DEFAULT_PORT,
        *,
        bucket: str = DEFAULT_BUCKET,
        blobs_dir: Path | None = None,
        host: str = LOOPBACK,
        jvm_opts: Sequence[str] = DEFAULT_JVM_OPTS,
        java: str | None = None,
    ) -> None:
        self.libs_dir = Path(libs_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.blobs_dir = Path(blobs_dir).resolve() if blobs_dir else self.data_dir / "blobs"
        self.port = port
        self.bucket = bucket
        self.host = host
        self.jvm_opts = tuple(jvm_opts)
        self._java = java
        self._process = BrokerProcess(
            self.data_dir,
            self.properties_file,
            main_class=MAIN_CLASS,
            name="s3proxy",
            label="S3Proxy",
            error=S3ProxyError,
        )

    @classmethod
    def in_data_dir(
        cls, root: Path, port: int = DEFAULT_PORT, bucket: str = DEFAULT_BUCKET
    ) -> LocalS3Proxy:
        """The default server of a BEATSTITCH_DATA_DIR: jars in s3proxy-libs, state in s3proxy."""
        return cls(root / "s3proxy-libs", root / "s3proxy", port, bucket=bucket)

    # -- paths -------------------------------------------------------------------------

    @property
    def properties_file(self) -> Path:
        """The properties this launcher writes on every start (0600: it holds the secret)."""
        return self.data_dir / "s3proxy.properties"

    @property
    def secrets_file(self) -> Path:
        """The key pair, made on the first start and kept for the next ones."""
        return self.data_dir / "s3proxy-secrets.json"

    @property
    def pid_file(self) -> Path:
        """The file holding the JVM's process id while it runs."""
        return self._process.pid_file

    @property
    def log_file(self) -> Path:
        """S3Proxy's log (JVM stdout/stderr)."""
        return self._process.log_file

    @property
    def endpoint_url(self) -> str:
        """The URL clients send S3 requests to."""
        return f"http://{self.host}:{self.port}"

    def _running_endpoint(self) -> str:
        """The endpoint in the properties on disk: a running server may use another port."""
        try:
            text = self.properties_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self.endpoint_url
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name == "s3proxy.endpoint" and value:
                return value
        return self.endpoint_url

    def keys(self) -> S3ProxyKeys:
        """The server's key pair, made (and written with mode 0600) on first use."""
        return load_or_create_keys(self.secrets_file)

    def client(self, endpoint_url: str | None = None) -> S3Client:
        """An S3 client signed with the server's keys."""
        keys = self.keys()
        return s3_client(
            endpoint_url or self._running_endpoint(),
            REGION,
            keys.access_key,
            keys.secret_key,
            max_attempts=1,
        )

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> S3ProxyInfo:
        """Start S3Proxy (or find it running), wait until it answers, make the bucket."""
        started = time.monotonic()
        deadline = started + timeout_s
        with data_dir_lock(self.data_dir):
            try:
                java = find_java(self._java)
            except LocalStackError:
                raise S3ProxyError(
                    "Java was not found (no $JAVA_HOME/bin/java and no `java` on PATH). "
                    "Install a Java 17+ runtime (e.g. `apt-get install "
                    "openjdk-17-jre-headless`), or point BEATSTITCH_STORAGE_URL at another "
                    "store."
                ) from None
            check_libs(self.libs_dir)
            pid = self._process.running_pid()
            already_running = pid is not None
            endpoint = self._running_endpoint() if already_running else self.endpoint_url
            if pid is None:
                pid = self._launch(java)
            try:
                self._wait_answering(pid, endpoint, deadline)
                self._ensure_bucket(endpoint)
            except BaseException:
                if not already_running:
                    # Never leave a half-started JVM behind holding the port and the lock.
                    self._process.kill(pid, DEFAULT_STOP_TIMEOUT_S)
                    self._process.forget()
                raise
        info = S3ProxyInfo(
            endpoint_url=endpoint,
            pid=pid,
            seconds=time.monotonic() - started,
            already_running=already_running,
            bucket=self.bucket,
            keys=self.keys(),
            data_dir=self.data_dir,
            log_file=self.log_file,
        )
        log.info(
            "s3proxy.already_running" if already_running else "s3proxy.started",
            endpoint=endpoint,
            pid=pid,
            seconds=round(info.seconds, 2),
        )
        return info

    def _launch(self, java: str) -> int:
        """Write the properties and launch the JVM; return its pid."""
        if not port_free(self.host, self.port):
            raise S3ProxyError(
                f"Port {self.port} on {self.host} is already in use by another process. "
                "Stop it, or pick another port (--port / BEATSTITCH_LOCAL_S3_PORT)."
            )
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        write_private(
            self.properties_file,
            server_properties(self.endpoint_url, self.blobs_dir, self.keys()),
        )
        command = [
            java,
            *self.jvm_opts,
            f"-Dlogback.configurationFile={LOG_CONFIG}",
            "-cp",
            str(self.libs_dir / "*"),
            MAIN_CLASS,
            "--properties",
            str(self.properties_file),
        ]
        return self._process.launch(command)

    def _wait_answering(self, pid: int, endpoint: str, deadline: float) -> None:
        """Poll until S3Proxy answers a signed ListBuckets (or fail with its log)."""
        host, _, port = endpoint.removeprefix("http://").partition(":")
        last_error = "no answer yet"
        while True:
            if not self._process.is_alive(pid):
                raise self._process.failure(
                    f"S3Proxy (pid {pid}) exited during start-up.", self.data_dir
                )
            if time.monotonic() > deadline:
                raise self._process.failure(
                    f"S3Proxy (pid {pid}) did not answer on {endpoint} in time "
                    f"(last error: {last_error}).",
                    self.data_dir,
                )
            if tcp_open(host, int(port)):
                try:
                    self.client(endpoint).list_buckets()
                    return
                except (BotoCoreError, ClientError) as exc:  # not ready yet, or refused
                    last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(POLL_INTERVAL_S)

    def _ensure_bucket(self, endpoint: str) -> None:
        """Create the configured bucket unless it exists."""
        client = self.client(endpoint)
        try:
            client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) not in {"404", "NoSuchBucket", "NotFound"}:
                raise S3ProxyError(
                    f"S3Proxy on {endpoint} would not show bucket {self.bucket!r}: {exc}"
                ) from exc
            client.create_bucket(Bucket=self.bucket)
            log.info("s3proxy.bucket_created", bucket=self.bucket)

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> bool:
        """Stop S3Proxy if it runs; return True if a process was stopped."""
        with data_dir_lock(self.data_dir):
            pid = self._process.running_pid()
            if pid is None:
                return False
            self._process.kill(pid, timeout_s)
            self._process.forget()
            log.info("s3proxy.stopped", pid=pid)
            return True

    def status(self) -> S3ProxyStatus:
        """Report whether S3Proxy runs and answers a signed ListBuckets."""
        pid = self._process.running_pid()
        endpoint = self._running_endpoint() if pid is not None else self.endpoint_url
        responsive = False
        if pid is not None and self.secrets_file.exists():
            try:
                self.client(endpoint).list_buckets()
                responsive = True
            except (BotoCoreError, ClientError):
                responsive = False
        return S3ProxyStatus(
            running=pid is not None,
            responsive=responsive,
            pid=pid,
            endpoint_url=endpoint,
            data_dir=self.data_dir,
            log_file=self.log_file,
        )
