"""Load: many users at once through HTTP, against the real API, projector and worker.

    .venv/bin/python -m bench.load [--users 20] [--duration-s 120] [--max-renders 40]
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000    # a stack already running

Each simulated user registers, creates a small project (320x180, 12 fps), uploads its own
10 s song and 6 media (3 clips, 3 stills), waits for the beat analysis, generates a timeline
and requests a preview render; then it starts again while time and the render cap allow.
For every render two other sessions of the same account (jobs are private to their
workspace) watch it: one polls GET /jobs/{id}, one follows the SSE stream /jobs/{id}/events.
Without --url the bench starts a throwaway Kafka broker (or uses BEATSTITCH_KAFKA_BOOTSTRAP),
a SQLite database and the projector, API and worker processes in a temporary folder, all on
loopback, and stops them at the end.

The client is a small asyncio program on httpx rather than Locust: httpx is already a
dependency (no new one), one process drives every user on this 2-core machine, and it reads
the SSE streams asynchronously, line by line, like a browser's EventSource.

Printed: requests/s, p50/p95/p99 latency per route (grouped by template, ids replaced by
{id}), renders completed per minute, errors by kind (status code or exception class), peak
RSS of the API and the worker (their process trees, sampled every 0.5 s; only when the bench
started them), the most SSE streams open at once, and the database connections in use (the
API's /metrics has no pool gauge, so: n/a; for a SQLite the bench started, the most file
handles the API held on the database file), and the API's own p95 of GET /jobs/{id} from its
histogram. Before the clock starts one project is analysed and rendered, not counted
(--warm-up-s): a fresh worker's first analysis waits for its process pool and librosa, which
is start-up, not load. Its job is the reference of the same run: 100 GET /jobs/{id} one
after another on the idle stack, whose p95 the loaded p95 is reported against (a ratio,
since this machine's speed varies from day to day). Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.load_figures import GET_JOB, Recorder, metrics_text, report, route_template
from bench.load_stack import Sampler, throwaway_stack
from engine.sample_media import write_sample_media, write_song

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "correct horse 42"
SETTINGS = {
    "beats_per_cut": 2,
    "transition": {"type": "crossfade", "duration_ms": 250},
    "output": {"width": 320, "height": 180, "fps": 12},
}
TERMINAL = {"complete", "failed", "cancelled"}


# --- what a user does -------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How long and how much: the bench stops starting renders at the deadline or the cap."""

    deadline: float
    max_renders: int
    poll_s: float
    media: list[Path]
    songs: Path


@dataclass
class Budget:
    """Renders left to request, shared by all users."""

    left: int

    def take(self) -> bool:
        """One more render, if the cap allows."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def log_in(rec: Recorder, client: httpx.AsyncClient, email: str) -> dict[str, Any] | None:
    """A fresh session (token, user and workspace ids) of an account."""
    body = {"email": email, "password": PASSWORD}
    login = await rec.call(client, "POST", "/api/v1/auth/login", json=body)
    return dict(login.json()) if login is not None else None


async def upload(rec: Recorder, client: httpx.AsyncClient, path: str, file: Path, ok: int) -> bool:
    """POST one file as multipart form data."""
    with file.open("rb") as f:
        return await rec.call(client, "POST", path, expect=(ok,), files={"file": f}) is not None


async def prepare_project(
    rec: Recorder, client: httpx.AsyncClient, plan: Plan, song: Path
) -> str | None:
    """A project with its song analysed, 6 media and a generated timeline."""
    made = await rec.call(
        client,
        "POST",
        "/api/v1/projects",
        expect=(201,),
        json={"name": "load", "settings": SETTINGS},
    )
    if made is None:
        return None
    pid = str(made.json()["id"])
    if not await upload(rec, client, f"/api/v1/projects/{pid}/audio", song, 202):
        return None
    for media in plan.media:
        if not await upload(rec, client, f"/api/v1/projects/{pid}/media", media, 201):
            return None
    while time.monotonic() < plan.deadline:
        audio = await rec.call(client, "GET", f"/api/v1/projects/{pid}/audio")
        if audio is None:
            return None
        status = audio.json()["analysis_status"]
        if status == "completed":
            timeline = await rec.call(
                client, "POST", f"/api/v1/projects/{pid}/timeline", expect=(201,)
            )
            return pid if timeline is not None else None
        if status != "pending":
            rec.errors[f"beat analysis {status}"] += 1
            return None
        await asyncio.sleep(plan.poll_s)
    return None


async def poll_job(
    rec: Recorder, client: httpx.AsyncClient, status_url: str, plan: Plan
) -> str | None:
    """GET the job until it ends; its final status (None if time ran out or a request failed)."""
    while time.monotonic() < plan.deadline:
        job = await rec.call(client, "GET", status_url)
        if job is None:
            return None
        status = str(job.json()["status"])
        if status in TERMINAL:
            return status
        await asyncio.sleep(plan.poll_s)
    return None


async def follow_events(rec: Recorder, client: httpx.AsyncClient, events_url: str) -> str | None:
    """Read the job's SSE stream to its end; the last status it sent."""
    route = route_template("GET", events_url)
    last: str | None = None
    began = time.monotonic()
    try:
        async with client.stream("GET", events_url, timeout=None) as response:
            rec.latency(route, (time.monotonic() - began) * 1000)
            if response.status_code != 200:
                rec.errors[f"{route}: {response.status_code}"] += 1
                return None
            rec.stream_opened()
            try:
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        last = json.loads(line.removeprefix("data:").strip()).get("status", last)
            finally:
                rec.stream_closed()
    except httpx.HTTPError as exc:
        rec.errors[f"{route}: {type(exc).__name__}"] += 1
    return last


async def render_and_watch(
    rec: Recorder, url: str, session: dict[str, Any], pid: str, plan: Plan, email: str
) -> None:
    """Request a preview render; two other sessions poll it and follow its SSE stream."""
    ws = session["workspace_id"]
    async with client_of(url, session["access_token"]) as client:
        accepted = await rec.call(
            client,
            "POST",
            f"/api/v1/video/workspaces/{ws}/render/{pid}",
            expect=(202,),
            json={"kind": "preview"},
        )
    if accepted is None:
        return
    rec.renders["requested"] += 1
    body = accepted.json()
    async with client_of(url) as anonymous:
        poller, follower = await asyncio.gather(
            log_in(rec, anonymous, email), log_in(rec, anonymous, email)
        )
    if poller is None or follower is None:
        return
    async with (
        client_of(url, poller["access_token"]) as polling,
        client_of(url, follower["access_token"]) as following,
    ):
        status, streamed = await asyncio.gather(
            poll_job(rec, polling, body["status_url"], plan),
            follow_events(rec, following, body["events_url"]),
        )
    if status is not None:
        rec.renders[status] += 1
        if streamed != status:
            rec.errors[f"SSE ended with {streamed}, the job is {status}"] += 1


def client_of(url: str, token: str | None = None) -> httpx.AsyncClient:
    """An HTTP client of the API, authenticated when given a token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=60)


async def user(rec: Recorder, url: str, plan: Plan, budget: Budget, index: int) -> None:
    """Register once, then project -> render -> watch while time and the cap allow."""
    email = f"load-{index}-{uuid.uuid4().hex[:8]}@example.com"
    async with client_of(url) as anonymous:
        registered = await rec.call(
            anonymous,
            "POST",
            "/api/v1/auth/register",
            expect=(201,),
            json={"email": email, "password": PASSWORD},
        )
        session = await log_in(rec, anonymous, email) if registered is not None else None
    if session is None:
        return
    song = plan.songs / f"song_{index}" / "sample_song.wav"
    while time.monotonic() < plan.deadline and budget.take():
        async with client_of(url, session["access_token"]) as client:
            pid = await prepare_project(rec, client, plan, song)
        if pid is None or time.monotonic() >= plan.deadline:
            return
        await render_and_watch(rec, url, session, pid, plan, email)


async def warm_up(url: str, plan: Plan, song: Path) -> tuple[str, list[float]]:
    """One project analysed and rendered before the clock starts, not counted: a fresh
    worker's first analysis waits for its process pool and loads librosa, which is start-up,
    not load. Its job then serves the reference: GET /jobs/{id} alone on the idle stack."""
    rec = Recorder()
    email = f"load-warm-up-{uuid.uuid4().hex[:8]}@example.com"
    async with client_of(url) as anonymous:
        body = {"email": email, "password": PASSWORD}
        await rec.call(anonymous, "POST", "/api/v1/auth/register", expect=(201,), json=body)
        session = await log_in(rec, anonymous, email)
    if session is None:
        return f"warm-up: could not log in ({dict(rec.errors)})", []
    async with client_of(url, session["access_token"]) as client:
        pid = await prepare_project(rec, client, plan, song)
        took = time.monotonic() - rec.started
        if pid is None:
            why = dict(rec.errors) or "time ran out"
            return f"warm-up: no timeline after {took:.0f} s ({why})", []
        said = (
            f"warm-up (not counted): first project analysed and its timeline made in {took:.0f} s"
        )
        render = f"/api/v1/video/workspaces/{session['workspace_id']}/render/{pid}"
        accepted = await rec.call(client, "POST", render, expect=(202,), json={"kind": "preview"})
        if accepted is None:
            return f"{said}; its render was refused ({dict(rec.errors)})", []
        status_url = accepted.json()["status_url"]
        status = await poll_job(rec, client, status_url, plan)
        idle = await idle_get_job(client, status_url)
    return f"{said}; its render ended {status} after {time.monotonic() - rec.started:.0f} s", idle


async def idle_get_job(client: httpx.AsyncClient, status_url: str, count: int = 100) -> list[float]:
    """Latencies (ms) of `count` GET /jobs/{id} one after another, nothing else running."""
    rec = Recorder()
    for _ in range(count):
        await rec.call(client, "GET", status_url)
    return rec.latencies.get(GET_JOB, [])


async def drive(url: str, users: int, plan: Plan) -> Recorder:
    """Run every user until the deadline, then stop whatever is still going."""
    rec = Recorder()
    budget = Budget(plan.max_renders)
    tasks = [asyncio.create_task(user(rec, url, plan, budget, i)) for i in range(users)]
    _, pending = await asyncio.wait(tasks, timeout=max(plan.deadline - time.monotonic(), 0))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            rec.errors[f"client {type(task.exception()).__name__}"] += 1
    return rec


# --- the report ---------------------------------------------------------------------


def sample_files(directory: Path, users: int) -> tuple[list[Path], Path]:
    """6 small media (3 clips, 3 stills, 320x180) and a 10 s song per user and the warm-up."""
    media = write_sample_media(directory / "media", videos=3, stills=3, size=(320, 180))
    for i in range(users + 1):
        write_song(directory / "songs" / f"song_{i}", bpm=120.0, bars=5, seed=11 + i)
    return media, directory / "songs"


def run(args: argparse.Namespace, url: str, sampler: Sampler | None, files: Path) -> None:
    """Drive the users against `url` and print the figures."""
    media, songs = sample_files(files, args.users)
    idle: list[float] = []
    if args.warm_up_s > 0:
        warm = Plan(time.monotonic() + args.warm_up_s, 1, args.poll_s, media, songs)
        song = songs / f"song_{args.users}" / "sample_song.wav"
        said, idle = asyncio.run(warm_up(url, warm, song))
        print(said)
    plan = Plan(
        deadline=time.monotonic() + args.duration_s,
        max_renders=args.max_renders,
        poll_s=args.poll_s,
        media=media,
        songs=songs,
    )
    print(
        f"load: {args.users} users for {args.duration_s:g} s, at most {args.max_renders} "
        f"renders, polling every {args.poll_s:g} s, against {url}"
    )
    if sampler is not None:
        sampler.start()
    began = time.monotonic()
    rec = asyncio.run(drive(url, args.users, plan))
    elapsed = time.monotonic() - began
    metrics = metrics_text(url)
    if sampler is not None:
        sampler.finish()
    print(report(rec, elapsed, sampler, metrics, idle))


def main() -> None:
    """Parse the options, start the stack unless given --url, run and report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration-s", type=float, default=120.0)
    parser.add_argument("--max-renders", type=int, default=40, help="renders requested at most")
    parser.add_argument("--poll-s", type=float, default=0.5, help="GET /jobs/{id} interval")
    parser.add_argument(
        "--warm-up-s", type=float, default=300, help="one analysis first, at most this long"
    )
    parser.add_argument("--workers", type=int, default=1, help="render workers to start")
    parser.add_argument("--logs", type=Path, help="keep the services' logs here")
    parser.add_argument("--url", help="a running API (loopback) instead of starting one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-files-") as files:
        if args.url:
            if httpx.URL(args.url).host not in LOOPBACK:
                parser.error(f"{args.url} is not on this machine; the bench runs on loopback only")
            run(args, args.url.rstrip("/"), None, Path(files))
            return
        with throwaway_stack(args.workers, args.logs) as stack:
            url = stack.api_url
            sampler = Sampler(stack.pids, stack.database)
            run(args, url, sampler, Path(files))


if __name__ == "__main__":
    main()
