"""The `runway` provider: Runway's API through its official SDK, `runwayml`.

A spec with a picture becomes an image_to_video task (the picture sent inline as a data URI),
any other a text_to_video task; both start a task that is polled at /v1/tasks/{id} through
PENDING, THROTTLED and RUNNING (with a progress 0..1) to SUCCEEDED, whose `output[0]` is the
clip's URL, or to FAILED (with Runway's reason) or CANCELLED. The SDK sends the
X-Runway-Version header; its own retries are off so that ours are the ones counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import httpx
import runwayml

from engine.generation.provider import ProgressFn, ProviderOutcome, ProviderSettings
from engine.generation.provider_network import provider_client
from engine.generation.remote_http import RemoteJob, TaskState, data_uri, required_key, sdk_errors
from engine.generation.spec import ClipSpec

DEFAULT_BASE_URL = "https://api.dev.runwayml.com"
DEFAULT_MODEL = "gen4.5"  # the one model Runway offers for both text and image to video
MIN_SECONDS, MAX_SECONDS = 2, 10  # gen4.5 takes a whole number of seconds in this range


def runway_ratio(spec: ClipSpec) -> str:
    """Runway's output size for the spec: landscape, portrait, or (from a picture) square."""
    if spec.width == spec.height and spec.image is not None:
        return "960:960"
    return "1280:720" if spec.width >= spec.height else "720:1280"


def runway_seconds(spec: ClipSpec) -> int:
    """The spec's length as the whole seconds Runway accepts."""
    return min(MAX_SECONDS, max(MIN_SECONDS, round(spec.duration_s)))


class RunwayProvider:
    """Generates clips with Runway; waits on HTTP, so it runs in a thread."""

    name: ClassVar[str] = "runway"
    runs_on_cpu: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(self, spec: ClipSpec, out: Path, progress: ProgressFn) -> ProviderOutcome:
        """Start a Runway task for the spec, wait for it, and download its clip to `out`."""
        key = required_key(self.settings, "Runway")
        model = spec.model or self.settings.model or DEFAULT_MODEL
        timeout = self.settings.request_timeout_s
        with (
            provider_client(self.settings) as http,
            runwayml.RunwayML(
                api_key=key,
                base_url=self.settings.base_url or DEFAULT_BASE_URL,
                max_retries=0,
                timeout=timeout,
                # Not through the proxy the environment names (the media egress proxy).
                http_client=httpx.Client(timeout=timeout, trust_env=False),
            ) as client,
        ):
            job = RemoteJob("Runway", self.settings, http)
            task_id = job.call("create", lambda: _create(client, spec, model))
            progress(0.0, "Runway accepted the task")
            state = job.poll(lambda: _look(client, task_id), progress)
            progress(0.9, "downloading the clip from Runway")
            job.download(state.output_url, out)
        progress(1.0, "Runway's clip is downloaded")
        return ProviderOutcome(
            task_id=task_id,
            model=model,
            video_url=state.output_url,
            attempts=job.attempts,
            metadata={
                "ratio": runway_ratio(spec),
                "duration_s": str(runway_seconds(spec)),
                "mode": "image_to_video" if spec.image is not None else "text_to_video",
            },
        )


def _create(client: runwayml.RunwayML, spec: ClipSpec, model: str) -> str:
    """One try at starting the task; its id."""
    fields: dict[str, Any] = {
        "model": model,
        "prompt_text": spec.prompt,
        "ratio": runway_ratio(spec),
        "duration": runway_seconds(spec),
        "seed": spec.seed,
    }
    with sdk_errors(runwayml.APIStatusError, runwayml.APIConnectionError):
        # The SDK types each model's fields as its own overload; the model is a setting here.
        if spec.image is not None:
            images: Any = client.image_to_video
            task = images.create(prompt_image=data_uri(spec.image), **fields)
        else:
            texts: Any = client.text_to_video
            task = texts.create(**fields)
    return str(task.id)


def _look(client: runwayml.RunwayML, task_id: str) -> TaskState:
    """One try at reading the task, as a TaskState."""
    with sdk_errors(runwayml.APIStatusError, runwayml.APIConnectionError):
        task = client.tasks.retrieve(task_id)
    if task.status == "SUCCEEDED":
        url = task.output[0] if task.output else ""
        return TaskState("succeeded", 1.0, "SUCCEEDED", output_url=url)
    if task.status == "FAILED":
        return TaskState("failed", note="FAILED", failure=task.failure)
    if task.status == "CANCELLED":
        return TaskState("failed", note="CANCELLED", failure="the task was cancelled")
    if task.status == "RUNNING":
        return TaskState("running", task.progress, "RUNNING")
    return TaskState("waiting", 0.0, task.status)
