"""`beatstitch up`: the local stack kept running, with the studio's address printed, until
Ctrl-C stops it; and a port in use said in a sentence."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from local_stack.services import BEATSTITCH
from tests.support.cli import run_cli


def test_up_prints_the_studio_and_serves_it_until_ctrl_c(
    render_env: dict[str, str], tmp_path: Path
) -> None:
    up = subprocess.Popen(
        [BEATSTITCH, "up", "--port", "0"],
        env=render_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        assert up.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(ln.startswith("studio at ") for ln in lines):
            line = up.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        # What a person sees: where to open the studio.
        url = next(ln for ln in lines if ln.startswith("studio at ")).removeprefix("studio at ")
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        time.sleep(3)  # it keeps running: nothing ends on its own
        assert up.poll() is None and httpx.get(f"{url}healthz", timeout=10).status_code == 200
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
        rest = up.stdout.read()
    finally:
        if up.poll() is None:
            up.kill()
    assert "stopping" in rest
    # Ctrl-C stopped the services it started: the API no longer answers.
    try:
        httpx.get(f"{url}healthz", timeout=2)
        answered = True
    except httpx.HTTPError:
        answered = False
    assert not answered


def test_up_on_a_port_in_use_says_so(render_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("up", "--port", str(port), env=render_env, cwd=tmp_path, timeout=60)
    assert done.returncode != 0
    assert f"port {port} is in use on this machine; pass --port N, or --port 0" in (
        done.stdout + done.stderr
    )
