"""The local S3 server as a person meets it: `beatstitch storage start|status|stop`."""

from __future__ import annotations

import os
import shlex
import socket
import stat
from pathlib import Path

from local_stack.ports import LOOPBACK, free_tcp_ports
from local_stack.s3proxy.config import S3ProxyError
from local_stack.s3proxy.server import LocalS3Proxy
from local_stack.services import BEATSTITCH
from storage.s3_client import s3_client
from tests.support.cli import run_cli
from tests.support.s3proxy import S3PROXY_LIBS_DIR


def _exports(stdout: str) -> dict[str, str]:
    """The settings `storage start` prints as `export NAME=value` lines."""
    found = {}
    for line in stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = shlex.split(value)[0]
    return found


def test_launcher_starts_reports_and_stops_one_server(tmp_path: Path) -> None:
    (port,) = free_tcp_ports(1)
    server = LocalS3Proxy(S3PROXY_LIBS_DIR, tmp_path / "s3", port, bucket="media")
    try:
        first = server.start()
        # A second start finds the running server instead of starting another.
        again = server.start()
        assert (again.already_running, again.pid) == (True, first.pid)
        state = server.status()
        assert state.running and state.responsive and state.pid == first.pid
        assert state.endpoint_url == f"http://127.0.0.1:{port}"
        # The key pair and the properties holding it are readable by their owner only.
        for private in (server.secrets_file, server.properties_file):
            assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
        buckets = server.client().list_buckets()["Buckets"]
        assert [b["Name"] for b in buckets] == ["media"]
    finally:
        assert server.stop()
    assert not server.status().running
    assert not server.pid_file.exists()
    assert server.stop() is False


def test_cli_prints_settings_that_work_with_an_s3_client(tmp_path: Path) -> None:
    (port,) = free_tcp_ports(1)
    env = {**os.environ, "BEATSTITCH_DATA_DIR": str(tmp_path)}
    where = ("--port", str(port))
    started = run_cli("storage", "start", *where, "--libs-dir", str(S3PROXY_LIBS_DIR), env=env)
    try:
        assert started.returncode == 0, started.stderr
        # What a person sees: the export lines on stdout alone, ready for `eval`.
        settings = _exports(started.stdout)
        assert set(settings) == {
            "BEATSTITCH_STORAGE_URL",
            "BEATSTITCH_S3_ENDPOINT_URL",
            "BEATSTITCH_S3_REGION",
            "BEATSTITCH_S3_ACCESS_KEY_ID",
            "BEATSTITCH_S3_SECRET_ACCESS_KEY",
        }
        assert started.stdout.strip().count("\n") == 4
        assert settings["BEATSTITCH_STORAGE_URL"] == "s3://beatstitch"
        assert settings["BEATSTITCH_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        client = s3_client(
            settings["BEATSTITCH_S3_ENDPOINT_URL"],
            settings["BEATSTITCH_S3_REGION"],
            settings["BEATSTITCH_S3_ACCESS_KEY_ID"],
            settings["BEATSTITCH_S3_SECRET_ACCESS_KEY"],
        )
        client.put_object(Bucket="beatstitch", Key="hello.txt", Body=b"hi")
        assert client.get_object(Bucket="beatstitch", Key="hello.txt")["Body"].read() == b"hi"
        # The object is a file in the server's folder under BEATSTITCH_DATA_DIR.
        assert (tmp_path / "s3proxy" / "blobs" / "beatstitch" / "hello.txt").read_bytes() == b"hi"

        again = run_cli("storage", "start", *where, "--libs-dir", str(S3PROXY_LIBS_DIR), env=env)
        assert again.returncode == 0, again.stderr
        assert "S3Proxy is already running" in again.stderr
        assert _exports(again.stdout) == settings  # the same keys as the first start

        status = run_cli("storage", "status", *where, env=env)
        assert status.returncode == 0, status.stderr
        assert f"S3Proxy is running at http://127.0.0.1:{port}" in status.stderr
    finally:
        stopped = run_cli("storage", "stop", *where, env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert "S3Proxy stopped." in stopped.stderr
    status = run_cli("storage", "status", *where, env=env)
    # What a person sees once it is stopped: how to start it, and exit code 1.
    assert status.returncode == 1
    assert "S3Proxy is not running. Start it with `beatstitch storage start`." in status.stderr


def test_cli_without_the_jars_says_to_run_make_install(tmp_path: Path) -> None:
    env = {**os.environ, "BEATSTITCH_DATA_DIR": str(tmp_path)}
    done = run_cli("storage", "start", "--port", str(free_tcp_ports(1)[0]), env=env)
    # What a person sees: one sentence naming the fix, no traceback, exit code 1.
    assert done.returncode == 1
    assert "S3Proxy's jars are not installed in" in done.stderr
    assert "Run `make install`" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_start_on_a_taken_port_names_the_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = LocalS3Proxy(S3PROXY_LIBS_DIR, tmp_path / "s3", port)
        try:
            server.start()
        except S3ProxyError as exc:
            # What a person sees: which port is taken and how to pick another.
            assert f"Port {port} on 127.0.0.1 is already in use" in str(exc)
            assert "BEATSTITCH_LOCAL_S3_PORT" in str(exc)
        else:
            raise AssertionError("start on a taken port did not fail")
    assert not server.status().running


def test_cli_without_java_says_to_install_it(tmp_path: Path) -> None:
    venv_bin = str(Path(BEATSTITCH).parent)
    env = {**os.environ, "BEATSTITCH_DATA_DIR": str(tmp_path), "PATH": venv_bin}
    env.pop("JAVA_HOME", None)
    done = run_cli("storage", "start", "--libs-dir", str(S3PROXY_LIBS_DIR), "--port", "1", env=env)
    # What a person sees: Java is missing and which runtime to install, exit code 1.
    assert done.returncode == 1
    assert "Java was not found" in done.stderr
    assert "Install a Java 17+ runtime" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
