"""A generated clip through the HTTP API: ask, follow its events with a progress bar,
download it, and say what the new media asset is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cli.api_render import ApiClient, console, download, progress_bar, sentence
from cli.runtime import CliError
from local_stack.services import LocalStack

ENDED = ("completed", "failed")


@dataclass(frozen=True)
class GenerationAsk:
    """What the user asked for on the command line."""

    prompt: str
    provider: str | None
    kind: str
    duration_s: float
    size: tuple[int, int]
    fps: int
    style: str
    seed: int
    image: Path | None = None

    def body(self, image_asset_id: str | None) -> dict[str, Any]:
        """The POST body of the generation."""
        width, height = self.size
        body: dict[str, Any] = {
            "prompt": self.prompt,
            "kind": self.kind,
            "duration_s": self.duration_s,
            "width": width,
            "height": height,
            "fps": self.fps,
            "style": self.style,
            "seed": self.seed,
            "image_asset_id": image_asset_id,
        }
        if self.provider:
            body["provider"] = self.provider
        return body


# The demo's title card: as long as its first segment (4 beats at 120 BPM) and a beat more.
DEMO_TITLE = GenerationAsk(
    prompt="BeatStitch demo",
    provider="local",
    kind="title_card",
    duration_s=2.5,
    size=(640, 360),
    fps=24,
    style="neon",
    seed=1,
)


def generate_in_project(
    api: ApiClient, stack: LocalStack, pid: str, ask: GenerationAsk
) -> dict[str, Any]:
    """Ask for one clip in a project, follow it to its end; the completed record, or CliError."""
    image_id = None
    if ask.image is not None:
        with ask.image.open("rb") as f:
            photo = api.call(
                "POST",
                f"/api/v1/projects/{pid}/media",
                "upload",
                ask.image.name,
                files={"file": (ask.image.name, f)},
            )
        image_id = photo["id"]
    accepted = api.call(
        "POST", f"/api/v1/projects/{pid}/generations", "ask for the clip", json=ask.body(image_id)
    )
    _follow(api, stack, accepted["events_url"])
    record: dict[str, Any] = api.call("GET", accepted["status_url"], "read the generation")
    if record["status"] != "completed":
        raise CliError(f"the generation failed: {record['error_msg'] or record['message']}")
    return record


def generate_with_api(stack: LocalStack, ask: GenerationAsk, out: Path) -> dict[str, Any]:
    """Generate a clip in the local user's 'generated clips' project and download it to out."""
    api = ApiClient(stack.api_url)
    api.sign_in()
    project = api.call(
        "POST", "/api/v1/projects", "create a project", json={"name": "generated clips"}
    )
    record = generate_in_project(api, stack, project["id"], ask)
    download(api, record["video_url"], out)
    return record


def _follow(api: ApiClient, stack: LocalStack, events_url: str) -> None:
    """A progress bar fed by the generation's server-sent events, until it ends."""
    with progress_bar() as progress:
        task = progress.add_task("queued", total=1.0)
        while True:
            try:
                with api.http.stream(
                    "GET", events_url, timeout=httpx.Timeout(30, read=30)
                ) as response:
                    if response.status_code != 200:
                        raise CliError(f"could not follow the generation: {sentence(response)}")
                    for line in response.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        event = json.loads(line.removeprefix("data:").strip())
                        if "status" not in event:
                            continue  # a reconnect notice: read the stream again
                        progress.update(
                            task,
                            completed=event["progress"],
                            description=event["message"] or event["status"],
                        )
                        if event["status"] in ENDED:
                            progress.update(task, description=event["status"])
                            return
            except httpx.ReadTimeout:
                pass
            stack.check()  # the stream ended early: say which service died, else reconnect


def print_generated(record: dict[str, Any], out: Path) -> None:
    """The new media asset in one line, and where its MP4 is."""
    console.print(
        f"[green]generated {record['asset_id']}[/green]: {record['resolution']}, "
        f"{record['duration_ms'] / 1000:.2f} s at {record['fps']} fps by {record['provider']} "
        f"({record['model']}); wrote {out}",
        highlight=False,
        soft_wrap=True,
    )
