"""The `custom` provider: any service that speaks our own small JSON contract over HTTP.

The contract, for a service at `{url}` (the custom video API URL setting):

- `POST {url}/generations` with JSON
  `{"prompt", "seed", "duration_s", "fps", "width", "height", "style", "motion_level",
  "camera_motion", "model", "image"}` (`image` is a data URI or null) answers 200/201/202 with
  `{"task_id": "..."}`;
- `GET {url}/generations/{task_id}` answers
  `{"status": "queued" | "running" | "succeeded" | "failed", "progress": 0..1,
  "output_url": "http(s)://..." (when succeeded), "error": "..." (when failed)}`;
- the output URL serves an MP4, MOV or WebM, on any http(s) host;
- with an API key set, every request to `{url}` carries `Authorization: Bearer <key>`
  (never the download, which may be on another host); without one, none.

Errors are read as JSON `{"error": "..."}` (or `message`/`detail`) when the service sends them:
401/403 mean a bad key, 429 with Retry-After a wait, other 4xx a rejected request and 5xx a
retry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from engine.generation.provider import ProgressFn, ProviderError, ProviderOutcome, ProviderSettings
from engine.generation.provider_network import provider_client
from engine.generation.remote_http import RemoteJob, TaskState, TaskStatus, data_uri
from engine.generation.spec import ClipSpec

_STATES: dict[str, TaskStatus] = {
    "queued": "waiting",
    "running": "running",
    "succeeded": "succeeded",
    "failed": "failed",
}


def custom_request(spec: ClipSpec, model: str) -> dict[str, Any]:
    """The JSON body of POST /generations for the spec."""
    return {
        "prompt": spec.prompt,
        "seed": spec.seed,
        "duration_s": spec.duration_s,
        "fps": spec.fps,
        "width": spec.width,
        "height": spec.height,
        "style": spec.style,
        "motion_level": spec.motion_level,
        "camera_motion": spec.camera_motion,
        "model": model,
        "image": data_uri(spec.image) if spec.image is not None else None,
    }


class CustomProvider:
    """Generates clips with a service of our own contract; runs in a thread."""

    name: ClassVar[str] = "custom"
    runs_on_cpu: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(self, spec: ClipSpec, out: Path, progress: ProgressFn) -> ProviderOutcome:
        """Start the generation, wait for it, and download the clip to `out`."""
        base = self.settings.base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ProviderError(
                "not_configured", "the custom video API has no http(s) URL set", attempts=0
            )
        key = self.settings.api_key.get_secret_value()
        auth = {"Authorization": f"Bearer {key}"} if key else {}
        model = spec.model or self.settings.model
        body = custom_request(spec, model)
        with provider_client(self.settings) as http:
            job = RemoteJob("The custom video API", self.settings, http)
            created = job.call(
                "create", lambda: job.send("POST", f"{base}/generations", json=body, headers=auth)
            )
            task_id = str(created.json().get("task_id", ""))
            if not task_id:
                raise job.error("rejected", "the custom video API answered without a task_id")
            progress(0.0, "the custom video API accepted the task")
            state = job.poll(lambda: _look(job, f"{base}/generations/{task_id}", auth), progress)
            progress(0.9, "downloading the clip")
            job.download(state.output_url, out)
        progress(1.0, "the clip is downloaded")
        return ProviderOutcome(
            task_id=task_id, model=model, video_url=state.output_url, attempts=job.attempts
        )


def _look(job: RemoteJob, url: str, auth: dict[str, str]) -> TaskState:
    """One try at reading the task, as a TaskState."""
    answer = job.send("GET", url, headers=auth).json()
    raw = str(answer.get("status", ""))
    status = _STATES.get(raw)
    if status is None:
        return TaskState("failed", note=raw, failure=f"it answered the unknown status {raw!r}")
    share = answer.get("progress")
    return TaskState(
        status,
        float(share) if isinstance(share, int | float) else None,
        raw,
        output_url=str(answer.get("output_url") or ""),
        failure=str(answer.get("error") or ""),
    )
