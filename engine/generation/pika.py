"""The `pika` provider: Pika's models through fal.ai's queue API, over HTTP with httpx.

Pika offers its API to developers through fal.ai. The shape followed here is fal.ai's
documented queue API (docs.fal.ai, "Queue" under model APIs) with the input of its
`fal-ai/pika/v2.2/text-to-video` and `fal-ai/pika/v2.2/image-to-video` endpoints:

- every request carries `Authorization: Key <FAL key>`;
- `POST {base}/{model_id}` with the model's input (prompt, seed, duration 5 or 10, resolution
  "720p"/"1080p", aspect_ratio; `image_url` for image-to-video, a data URI is accepted)
  answers `{"request_id", "status_url", "response_url"}`;
- `GET {status_url}?logs=1` answers `{"status": "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED",
  "queue_position", "logs"}`; a COMPLETED request that failed also carries `error`;
- `GET {response_url}` answers the output, `{"video": {"url": ...}}`, or the failure as a 4xx/5xx
  with `{"detail": ...}`.

fal gives no percentage, so progress is the queue stage; the status and the number of log
lines are what is watched for a stall.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from engine.generation.provider import ProgressFn, ProviderOutcome, ProviderSettings
from engine.generation.provider_network import provider_client
from engine.generation.remote_http import (
    RemoteJob,
    TaskState,
    TryFailed,
    checked_url,
    data_uri,
    provider_message,
    required_key,
)
from engine.generation.spec import ClipSpec

DEFAULT_BASE_URL = "https://queue.fal.run"
TEXT_MODEL = "fal-ai/pika/v2.2/text-to-video"
IMAGE_MODEL = "fal-ai/pika/v2.2/image-to-video"
_RUNNING_SHARE = 0.5  # what an IN_PROGRESS request counts as, fal reporting no percentage


def pika_input(spec: ClipSpec) -> dict[str, Any]:
    """The fal Pika endpoint's input for the spec."""
    body: dict[str, Any] = {
        "prompt": spec.prompt,
        "seed": spec.seed,
        "duration": 5 if spec.duration_s <= 7.5 else 10,
        "resolution": "1080p" if min(spec.width, spec.height) > 720 else "720p",
        "aspect_ratio": _aspect(spec.width, spec.height),
    }
    if spec.image is not None:
        body["image_url"] = data_uri(spec.image)
    return body


def _aspect(width: int, height: int) -> str:
    """The nearest aspect ratio fal's Pika endpoints take."""
    choices = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:5": 0.8, "5:4": 1.25}
    return min(choices, key=lambda name: abs(choices[name] - width / height))


class PikaProvider:
    """Generates clips with Pika via fal.ai; waits on HTTP, so it runs in a thread."""

    name: ClassVar[str] = "pika"
    runs_on_cpu: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(self, spec: ClipSpec, out: Path, progress: ProgressFn) -> ProviderOutcome:
        """Queue the request on fal, wait for it, and download Pika's clip to `out`."""
        key = required_key(self.settings, "Pika")
        model = spec.model or self.settings.model
        model = model or (IMAGE_MODEL if spec.image is not None else TEXT_MODEL)
        base = (self.settings.base_url or DEFAULT_BASE_URL).rstrip("/")
        auth = {"Authorization": f"Key {key}"}
        with provider_client(self.settings) as http:
            job = RemoteJob("Pika", self.settings, http)
            body = pika_input(spec)
            queued = job.call(
                "submit", lambda: job.send("POST", f"{base}/{model}", json=body, headers=auth)
            )
            request_id, status_url, response_url = _queued(queued.json(), base, model)
            progress(0.0, "Pika's request is queued")
            job.poll(lambda: _look(job, status_url, auth), progress)
            video_url = job.call("result", lambda: _result(job, response_url, auth))
            progress(0.9, "downloading the clip from Pika")
            job.download(video_url, out)  # on fal's CDN: fetched without our key
        progress(1.0, "Pika's clip is downloaded")
        return ProviderOutcome(
            task_id=request_id,
            model=model,
            video_url=video_url,
            attempts=job.attempts,
            metadata={k: str(v) for k, v in body.items() if k != "image_url"},
        )


def _queued(answer: Any, base: str, model: str) -> tuple[str, str, str]:
    """(request id, status URL, response URL) from the submit answer."""
    request_id = str(answer.get("request_id", ""))
    fallback = f"{base}/{model}/requests/{request_id}"
    try:
        status_url = checked_url(str(answer.get("status_url") or f"{fallback}/status"))
        response_url = checked_url(str(answer.get("response_url") or fallback))
    except ValueError:
        status_url, response_url = f"{fallback}/status", fallback
    return request_id, status_url, response_url


def _look(job: RemoteJob, status_url: str, auth: dict[str, str]) -> TaskState:
    """One try at reading the request's status."""
    status = job.send("GET", status_url, params={"logs": "1"}, headers=auth).json()
    stage = str(status.get("status", ""))
    if stage == "IN_QUEUE":
        return TaskState("waiting", 0.0, f"in queue, position {status.get('queue_position', '?')}")
    if stage == "IN_PROGRESS":
        lines = len(status.get("logs") or [])
        return TaskState("running", _RUNNING_SHARE, f"in progress, {lines} log lines")
    if stage != "COMPLETED":
        return TaskState("failed", note=stage, failure=f"the request ended {stage or 'unknown'}")
    if status.get("error"):
        return TaskState("failed", note=stage, failure=provider_message(status))
    return TaskState("succeeded", 1.0, stage)


def _result(job: RemoteJob, response_url: str, auth: dict[str, str]) -> str:
    """One try at reading the completed request's result: the clip's URL.

    fal answers a request that failed on the model's side with a 4xx and the model's words."""
    failed: TryFailed | None = None
    try:
        result = job.send("GET", response_url, headers=auth).json()
    except TryFailed as exc:
        if exc.status is None or exc.status >= 500 or exc.status in {401, 403, 429}:
            raise
        failed = exc
    if failed is not None:  # raised here, not in the except block: no exception in tow
        reason = failed.detail or f"HTTP {failed.status}"
        raise job.error("provider_failed", f"Pika could not make the clip: {reason}")
    video = result.get("video") or {}
    return str(video.get("url", ""))
