"""A local server's JVM process: launched detached, found again by its pid file, stopped.

A server (the Kafka broker, S3Proxy) outlives the command that started it, so every call
finds it again from the pid file in its data directory and checks the process's command
line (its main class and its properties file) before trusting it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import structlog

from local_stack.errors import KafkaBrokerError, LocalStackError
from local_stack.kafka.jvm import BROKER_MAIN_CLASS

log = structlog.get_logger(__name__)

POLL_INTERVAL_S = 0.1
_LOG_TAIL_LINES = 40
_SIGKILL_WAIT_S = 10.0


class BrokerProcess:
    """The broker JVM of one data directory: its pid file, its log and, if we started it,
    the child process (kept so it is reaped, never left a zombie)."""

    def __init__(
        self,
        data_dir: Path,
        properties_file: Path,
        *,
        main_class: str = BROKER_MAIN_CLASS,
        name: str = "broker",
        label: str = "The Kafka broker",
        error: type[LocalStackError] = KafkaBrokerError,
    ) -> None:
        self.data_dir = data_dir
        self.properties_file = properties_file
        self.main_class = main_class
        self.name = name
        # How messages name the server, and the error they are raised as.
        self.label = label
        self.error = error
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        """The file holding the JVM's process id while it runs."""
        return self.data_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        """The server's log (JVM stdout/stderr plus the server's own log output)."""
        return self.data_dir / f"{self.name}.log"

    def _read_pid(self) -> int | None:
        """Return the pid from the pid file, or None if there is none or it is garbage."""
        try:
            return int(self.pid_file.read_text(encoding="ascii").strip())
        except (FileNotFoundError, ValueError):
            return None

    def is_alive(self, pid: int) -> bool:
        """Return True if `pid` is alive and is the server JVM of this data directory."""
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
        return self.main_class.encode() in args and str(self.properties_file).encode() in args

    def running_pid(self) -> int | None:
        """Return the server's pid if it is running, removing a stale pid file otherwise."""
        pid = self._read_pid()
        if pid is None:
            return None
        if self.is_alive(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def launch(self, command: list[str]) -> int:
        """Start the JVM detached from our session, logging to log_file; return its pid."""
        if self.log_file.exists():
            # Keep exactly one previous run for post-mortems; the log never grows unbounded
            # across runs.
            self.log_file.replace(self.log_file.with_name(self.log_file.name + ".1"))
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Own session: Ctrl-C in the terminal that ran `beatstitch kafka start` must
                # not reach the server, and it outlives the CLI process.
                start_new_session=True,
                close_fds=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n", encoding="ascii")
        self._proc = proc
        return proc.pid

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
            if not self.is_alive(pid):
                return True
            time.sleep(POLL_INTERVAL_S)
        return not self.is_alive(pid)

    def kill(self, pid: int, timeout_s: float) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL if it does not exit in time."""
        for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, _SIGKILL_WAIT_S)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            if self._wait_exit(pid, wait):
                return
            log.warning("local_stack.jvm.stop_timeout", name=self.name, pid=pid, signal=sig.name)
        raise self.error(
            f"{self.label} (pid {pid}) did not exit even after SIGKILL; check `ps {pid}`."
        )

    def kill_now(self, pid: int) -> None:
        """SIGKILL at once, as a crash would, and wait until the process is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not self._wait_exit(pid, _SIGKILL_WAIT_S):
            raise self.error(
                f"{self.label} (pid {pid}) did not exit after SIGKILL; check `ps {pid}`."
            )

    def forget(self) -> None:
        """Drop the pid file and the child handle once the server is gone."""
        self.pid_file.unlink(missing_ok=True)
        self._proc = None

    def failure(self, what: str, log_dir: Path) -> LocalStackError:
        """Build an error that includes the tail of the server's log and a likely fix."""
        tail = _tail(self.log_file)
        hint = ""
        if "UnsupportedClassVersionError" in tail:
            hint = " It needs Java 17 or newer; point JAVA_HOME at one."
        elif "Address already in use" in tail:
            hint = " Another process holds one of the ports; stop it or choose other ports."
        elif "Failed to acquire lock" in tail:
            hint = f" Another Kafka process is using {log_dir}; stop it first."
        return self.error(f"{what}{hint}\nLast lines of {self.log_file}:\n{tail}")


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Serialise start/stop of one data directory across processes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".launcher.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
