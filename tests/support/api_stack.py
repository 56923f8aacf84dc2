"""The whole service as separate processes (API, projector, worker), for tests through HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from engine.sample_media import write_sample_media, write_song
from local_stack import services
from local_stack.errors import ServiceError
from local_stack.ports import free_tcp_ports
from storage.filesystem import SIDECAR_SUFFIX
from tests.support.cli import BEATSTITCH, NO_UPLOAD_PROXIES, run_cli
from tests.support.worker import TEST_POOL


@contextlib.contextmanager
def service(name: str, env: dict[str, str], logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `beatstitch NAME` in its own process group: JSON log in logs/NAME.log (stderr),
    console output in logs/NAME.out. Uploads ask for no proxies unless `env` says so, so
    tests about something else stay cheap."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("wb") as log, (logs / f"{name}.out").open("wb") as out:
        proc = subprocess.Popen(
            [BEATSTITCH, name],
            env={**TEST_POOL, **NO_UPLOAD_PROXIES, **env, "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the service (it stops its own children), SIGKILL its group if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def log_tail(logs: Path, name: str, lines: int = 30) -> str:
    """The end of a service's log, for failure messages."""
    path = logs / f"{name}.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def log_lines(logs: Path, name: str) -> list[dict[str, Any]]:
    """A service's JSON log lines."""
    found = []
    for line in (logs / f"{name}.log").read_text(errors="replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            parsed = json.loads(line)
            if isinstance(parsed, dict):
                found.append(parsed)
    return found


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    return free_tcp_ports(1)[0]


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], logs: Path, timeout_s: float = 60
) -> None:
    """Wait until GET /healthz answers 200, or fail with the API's log."""
    try:
        services.wait_healthy(url, {"api": proc}, logs, timeout_s)
    except ServiceError as exc:
        raise AssertionError(f"{exc}\n{log_tail(logs, 'api')}") from None


@dataclass(frozen=True)
class Stack:
    """A running API (with its projector) and where its files and logs are."""

    url: str
    env: dict[str, str]
    logs: Path
    root: Path
    api_pid: int = 0

    def api_peak_rss_bytes(self) -> int:
        """The most memory the API process has held at once (VmHWM), from /proc."""
        for line in Path(f"/proc/{self.api_pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no VmHWM for the API process {self.api_pid}")

    @contextlib.asynccontextmanager
    async def client(self, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client of the API, authenticated when given a token."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=60) as client:
            yield client


@dataclass(frozen=True)
class Account:
    """A registered, logged-in user."""

    email: str
    token: str
    user_id: str
    workspace_id: str


async def sign_up(stack: Stack, email: str, password: str = "correct horse 42") -> Account:
    """Register and log in a user."""
    async with stack.client() as client:
        registered = await client.post(
            "/api/v1/auth/register", json={"email": email, "password": password}
        )
        assert registered.status_code == 201, registered.text
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        body = login.json()
    return Account(email, body["access_token"], body["user_id"], body["workspace_id"])


async def sign_up_admin(stack: Stack, email: str, password: str = "correct horse 42") -> Account:
    """Create an administrator as an operator does (`beatstitch users create --admin`), and
    log them in."""
    env = {**stack.env, "BEATSTITCH_USER_PASSWORD": password}
    made = await asyncio.to_thread(run_cli, "users", "create", "--admin", email, env=env)
    assert made.returncode == 0, made.stderr
    async with stack.client() as client:
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        body = login.json()
    assert body["role"] == "admin", body
    return Account(email, body["access_token"], body["user_id"], body["workspace_id"])


async def wait_for_analysis(client: httpx.AsyncClient, project_id: str) -> dict[str, Any]:
    """Poll the audio resource until its beat analysis is no longer pending (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        audio = (await client.get(f"/api/v1/projects/{project_id}/audio")).json()
        if audio["analysis_status"] != "pending":
            return dict(audio)
        await asyncio.sleep(0.2)
    raise AssertionError(f"the beat analysis of project {project_id} did not finish in 60 s")


SMALL = {
    "beats_per_cut": 2,
    "transition": {"type": "crossfade", "duration_ms": 250},
    "output": {"width": 320, "height": 180, "fps": 12},
}


async def ready_project(
    client: httpx.AsyncClient, tmp: Path, *, bars: int = 4
) -> tuple[str, dict[str, Any]]:
    """A small project (320x180, 12 fps) with music (analysed) and three media files."""
    project = await client.post("/api/v1/projects", json={"name": "beats", "settings": SMALL})
    pid = project.json()["id"]
    song = write_song(tmp / "song", bpm=120.0, bars=bars)
    with song.open("rb") as f:
        uploaded = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
    assert uploaded.status_code == 202, uploaded.text
    # Read your writes: the track is there at once, its analysis pending or already done.
    assert (await client.get(f"/api/v1/projects/{pid}/audio")).json()["id"] == uploaded.json()["id"]
    for path in write_sample_media(tmp / "media", videos=2, stills=1, size=(320, 180)):
        with path.open("rb") as f:
            assert (
                await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
            ).status_code == 201
    audio = await wait_for_analysis(client, pid)
    assert audio["analysis_status"] == "completed", audio
    return pid, audio


async def progress_stream(client: httpx.AsyncClient, events_url: str) -> list[dict[str, Any]]:
    """Read a job's server-sent progress events until the stream ends."""
    events: list[dict[str, Any]] = []
    async with client.stream("GET", events_url, timeout=180) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line.removeprefix("data:").strip()))
    return events


@contextlib.contextmanager
def second_api(stack: Stack, logs: Path, **settings: str) -> Iterator[Stack]:
    """Another API on `stack`'s topics and database, on its own port, with `settings`
    (BEATSTITCH_… variables) over the stack's; gone when the block ends."""
    env = {**stack.env, **settings, "BEATSTITCH_API_PORT": str(free_port())}
    url = f"http://127.0.0.1:{env['BEATSTITCH_API_PORT']}"
    with service("api", env, logs) as api:
        wait_healthy(url, api, logs)
        yield Stack(url, env, logs, stack.root)


async def new_user_project(stack: Stack, label: str) -> tuple[str, str]:
    """A new account's empty project: (token, project id)."""
    account = await sign_up(stack, f"{label}-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as client:
        created = await client.post("/api/v1/projects", json={"name": label})
    assert created.status_code == 201, created.text
    return account.token, created.json()["id"]


def stored_files(stack: Stack, project_id: str) -> list[Path]:
    """Every file the API keeps for a project, in name order (not the folder store's
    checksum records beside them)."""
    folder = stack.root / "media" / "projects" / project_id
    if not folder.exists():
        return []
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
    )


async def project_with_a_photo(stack: Stack, account: Account, tmp: Path) -> tuple[str, str]:
    """A project of `account` holding one small photo: (project id, asset id)."""
    async with stack.client(account.token) as client:
        project = await client.post("/api/v1/projects", json={"name": "mine"})
        assert project.status_code == 201, project.text
        pid = project.json()["id"]
        (still,) = write_sample_media(tmp, videos=0, stills=1, size=(64, 36))
        with still.open("rb") as f:
            asset = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        assert asset.status_code == 201, asset.text
    return pid, asset.json()["id"]
