"""A render through the HTTP API, as a user's client would do it: upload, analyse, render,
follow the job's server-sent events with a progress bar, download."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.runtime import CliError
from domain.render_job import JobStatus
from engine.probe import probe
from local_stack.services import LocalStack

console = Console()
# The account the CLI uses on its own local API (which listens on 127.0.0.1 only).
LOCAL_EMAIL = "local@beatstitch.dev"
LOCAL_PASSWORD = "beatstitch-local-user"


@dataclass(frozen=True)
class RenderOutcome:
    """What the user gets: the MP4, its length and the job's clip_stats from the read model."""

    render_job_id: str
    output: Path
    duration_ms: int
    clip_stats: dict[str, Any]
    seconds: float
    # The job's segments that show the black placeholder instead of their file.
    placeholders: list[dict[str, Any]] = field(default_factory=list)


def sentence(response: httpx.Response) -> str:
    """The API's error detail as one sentence."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if isinstance(detail, dict):
        return str(detail.get("message") or detail)
    if isinstance(detail, list):
        return "; ".join(
            str(d.get("message") or f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}")
            for d in detail
        )
    return str(detail)


def failure_sentence(what: str, subject: str | None, said: str) -> str:
    """'could not WHAT SUBJECT: <what the API said>', naming the subject once when the API's
    sentence names it already (as every upload refusal does)."""
    if subject is None:
        return f"could not {what}: {said}"
    if said.startswith(f"{subject}: "):
        return f"could not {what} {subject}: {said.removeprefix(f'{subject}: ')}"
    if subject in said:
        return f"could not {what}: {said}"
    return f"could not {what} {subject}: {said}"


class ApiClient:
    """An HTTP client of the API whose errors are CliErrors with the API's sentence."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)

    def call(
        self, method: str, path: str, what: str, subject: str | None = None, **kwargs: Any
    ) -> Any:
        """Send a request; on an error status, raise 'could not WHAT SUBJECT: <the API's
        reason>', naming the subject (a file) once."""
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise CliError(failure_sentence(what, subject, sentence(response)))
        return response.json() if response.content else None

    def sign_in(self) -> str:
        """Log the local user in (registering it the first time); set the bearer token."""
        creds = {"email": LOCAL_EMAIL, "password": LOCAL_PASSWORD}
        login = self.http.post("/api/v1/auth/login", json=creds)
        if login.status_code == 401:
            self.call("POST", "/api/v1/auth/register", "register the local user", json=creds)
            login = self.http.post("/api/v1/auth/login", json=creds)
        if login.status_code != 200:
            raise CliError(f"could not log in to the local API: {sentence(login)}")
        body = login.json()
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        return str(body["workspace_id"])


def render_with_api(
    stack: LocalStack,
    audio: Path,
    media: list[Path],
    settings: dict[str, Any],
    kind: str,
    out: Path,
    first: Callable[[ApiClient, str], None] | None = None,
) -> RenderOutcome:
    """Upload the music and media to a new project, render it, follow it and download it.

    `first(api, project_id)` runs before the uploads: what it adds comes first in the media."""
    began = time.monotonic()
    api = ApiClient(stack.api_url)
    workspace = api.sign_in()
    project = api.call(
        "POST",
        "/api/v1/projects",
        "create a project",
        json={"name": audio.stem, "settings": settings},
    )
    pid = project["id"]
    if first is not None:
        first(api, pid)
    _upload(api, pid, audio, media)
    track = _wait_for_beats(api, stack, pid)
    console.print(track_summary(track, audio.name), highlight=False)
    job = api.call(
        "POST",
        f"/api/v1/video/workspaces/{workspace}/render/{pid}",
        "start the render",
        json={"kind": kind},
    )
    with cancelled_on_interrupt(api, workspace, job["job_id"]):
        timeline = api.call("GET", f"/api/v1/projects/{pid}/timeline", "read the timeline")
        console.print(
            f"{timeline['segment_count']} segments ({timeline['cutting']}), "
            f"EDL {timeline['edl_hash'][:12]}…; "
            f"job {job['job_id']}",
            highlight=False,
        )
        _follow(api, stack, job["events_url"])
    final = api.call("GET", job["status_url"], "read the render job")
    if final["status"] != "complete":
        raise CliError(
            f"the render {final['status']}: {final['error_message'] or final['message']}"
        )
    download(api, final["video_urls"][0], out)
    return RenderOutcome(
        job["job_id"],
        out,
        probe(out).duration_ms or 0,
        final["clip_stats"],
        time.monotonic() - began,
        final.get("placeholders") or [],
    )


def track_summary(track: dict[str, Any], name: str) -> str:
    """What the beat analysis found, in words: the tempo and beats, or that there was none."""
    if track.get("bpm") is None:
        return f"no clear beat found in {name} (silence, a drone or speech?)"
    return f"{track['bpm']:.1f} BPM, {track['beat_count']} beats in {name}"


@contextlib.contextmanager
def cancelled_on_interrupt(api: ApiClient, workspace: str, job_id: str) -> Iterator[None]:
    """Ctrl-C while a render runs cancels it, so that no worker finishes it later, and says so."""
    try:
        yield
    except KeyboardInterrupt:
        path = f"/api/v1/video/workspaces/{workspace}/render/jobs/{job_id}/cancel"
        try:
            api.call("POST", path, "cancel the render", timeout=5)
        except (CliError, httpx.HTTPError) as exc:
            raise CliError(f"interrupted; the render {job_id} was not cancelled ({exc}).") from None
        raise CliError(f"interrupted: the render {job_id} is cancelled.") from None


def _upload(api: ApiClient, pid: str, audio: Path, media: list[Path]) -> None:
    with progress_bar() as bar:
        task = bar.add_task("uploading", total=len(media) + 1)
        for path, route in [(audio, "audio"), *((m, "media") for m in media)]:
            bar.update(task, description=f"uploading {path.name}")
            with path.open("rb") as f:
                api.call(
                    "POST",
                    f"/api/v1/projects/{pid}/{route}",
                    "upload",
                    path.name,
                    files={"file": (path.name, f)},
                )
            bar.advance(task)
        bar.update(task, description=f"uploaded {len(media)} media files and the music")


def _wait_for_beats(api: ApiClient, stack: LocalStack, pid: str) -> dict[str, Any]:
    with console.status("finding the beats…"):
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            stack.check()
            track: dict[str, Any] = api.call(
                "GET", f"/api/v1/projects/{pid}/audio", "read the music's analysis"
            )
            if track["analysis_status"] == "completed":
                return track
            if track["analysis_status"] == "failed":
                raise CliError(f"the beat analysis failed: {track['analysis_error']}")
            time.sleep(0.2)
    # Every service ran and Kafka and the database answered all along: the analysis is slow.
    raise CliError(
        "the beat analysis did not finish within 5 minutes, though the worker, the API and "
        f"Kafka were up; see the worker's log in {stack.logs}"
    )


def _events(api: ApiClient, url: str) -> Iterator[dict[str, Any]]:
    # The API pings every 15 s, so a read that waits longer means a stalled connection.
    with api.http.stream("GET", url, timeout=httpx.Timeout(30, read=30)) as response:
        if response.status_code != 200:
            raise CliError(f"could not follow the render: {sentence(response)}")
        for line in response.iter_lines():
            if line.startswith("data:"):
                yield json.loads(line.removeprefix("data:").strip())


def _follow(api: ApiClient, stack: LocalStack, events_url: str) -> None:
    """A progress bar fed by the job's server-sent events, until the job ends."""
    with progress_bar() as bar:
        task = bar.add_task("queued", total=100)
        while True:
            try:
                for event in _events(api, events_url):
                    bar.update(
                        task,
                        completed=event["progress"],
                        description=event["message"] or event["status"],
                    )
                    if JobStatus(event["status"]).terminal:
                        bar.update(task, description=event["status"])
                        return
            except httpx.ReadTimeout:
                pass
            stack.check()  # the stream ended early: say which service died, else reconnect


def download(api: ApiClient, url: str, out: Path) -> None:
    """Stream a file of the API to out, replacing it only once it is whole."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with api.http.stream("GET", url) as response, partial.open("wb") as f:
        if response.status_code != 200:
            raise CliError(f"could not download the video: {sentence(response)}")
        for chunk in response.iter_bytes():
            f.write(chunk)
    partial.replace(out)


def progress_bar() -> Progress:
    """The progress bar every long step shows."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
    )


def print_outcome(outcome: RenderOutcome) -> None:
    """The clip_stats table and where the MP4 is."""
    table = Table(title=f"clip_stats of {outcome.render_job_id} (from the read model)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in outcome.clip_stats.items():
        table.add_row(key, str(value))
    console.print(table)
    console.print(
        f"[green]wrote {outcome.output}[/green] ({outcome.duration_ms / 1000:.2f} s of "
        f"video) in {outcome.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,  # a path broken over two lines cannot be copied
    )
    for line in placeholder_lines(outcome.placeholders):
        console.print(line, style="yellow", highlight=False, soft_wrap=True, markup=False)


def placeholder_lines(placeholders: list[dict[str, Any]]) -> list[str]:
    """What the user reads when segments show the black placeholder: how many, then why."""
    if not placeholders:
        return []
    count = len(placeholders)
    head = "1 segment shows" if count == 1 else f"{count} segments show"
    return [
        f"warning: {head} a black placeholder instead of its file:",
        *(f"  {p['message']}" for p in placeholders),
    ]
