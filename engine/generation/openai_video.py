"""The `openai` provider: OpenAI's video API (Sora) through the official `openai` SDK.

`videos.create` posts the prompt, model, size and seconds (and the picture, when the spec has
one, as the `input_reference` upload) to /videos; `videos.retrieve` is polled through queued
and in_progress (with a progress percentage) to completed or failed (with OpenAI's error);
`videos.download_content` streams the MP4 from /videos/{id}/content. The API takes only a
few sizes and 4, 8 or 12 seconds: the spec is mapped to the nearest and the outcome's metadata
says what was asked for and what was made. The SDK's own retries are off so ours are counted.

The SDK marks this API deprecated: OpenAI announced that the Sora API shuts down on
24 September 2026.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, ClassVar

import httpx2
import openai

from engine.generation.provider import ProgressFn, ProviderOutcome, ProviderSettings
from engine.generation.provider_network import provider_client
from engine.generation.remote_http import RemoteJob, TaskState, TryFailed, required_key, sdk_errors
from engine.generation.spec import ClipSpec

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "sora-2"
ALLOWED_SECONDS = (4, 8, 12)
_ERRORS = (openai.APIStatusError, openai.APIConnectionError)


def openai_seconds(spec: ClipSpec) -> int:
    """The allowed length nearest the spec's (the shorter one on a tie)."""
    return min(ALLOWED_SECONDS, key=lambda allowed: (abs(allowed - spec.duration_s), allowed))


def openai_size(spec: ClipSpec) -> str:
    """The allowed size of the spec's orientation."""
    return "1280x720" if spec.width >= spec.height else "720x1280"


class OpenAIVideoProvider:
    """Generates clips with OpenAI's video API; waits on HTTP, so it runs in a thread."""

    name: ClassVar[str] = "openai"
    runs_on_cpu: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def generate(self, spec: ClipSpec, out: Path, progress: ProgressFn) -> ProviderOutcome:
        """Create the video job, wait for it, and download its MP4 to `out`."""
        key = required_key(self.settings, "OpenAI")
        model = spec.model or self.settings.model or DEFAULT_MODEL
        base_url = (self.settings.base_url or DEFAULT_BASE_URL).rstrip("/")
        timeout = self.settings.request_timeout_s
        with (
            provider_client(self.settings) as http,
            openai.OpenAI(
                api_key=key,
                base_url=base_url,
                max_retries=0,
                timeout=timeout,
                # Not through the proxy the environment names (the media egress proxy).
                http_client=httpx2.Client(timeout=timeout, trust_env=False),
            ) as client,
        ):
            job = RemoteJob("OpenAI", self.settings, http)
            video_id = job.call("create", lambda: _create(client, spec, model))
            progress(0.0, "OpenAI accepted the video job")
            job.poll(lambda: _look(client, video_id), progress)
            progress(0.9, "downloading the clip from OpenAI")
            job.call("download", lambda: _download(client, job, video_id, out), _GONE)
        progress(1.0, "OpenAI's clip is downloaded")
        return ProviderOutcome(
            task_id=video_id,
            model=model,
            video_url=f"{base_url}/videos/{video_id}/content",
            attempts=job.attempts,
            metadata={
                "size": openai_size(spec),
                "seconds": str(openai_seconds(spec)),
                "asked_duration_s": f"{spec.duration_s:g}",
                "asked_size": f"{spec.width}x{spec.height}",
            },
        )


_GONE = frozenset({404, 410})


def _create(client: openai.OpenAI, spec: ClipSpec, model: str) -> str:
    """One try at creating the job; its id."""
    fields: dict[str, Any] = {
        "prompt": spec.prompt,
        "model": model,
        "size": openai_size(spec),
        "seconds": str(openai_seconds(spec)),
    }
    if spec.image is not None:
        mime = mimetypes.guess_type(spec.image.name)[0] or "image/png"
        fields["input_reference"] = (spec.image.name, spec.image.read_bytes(), mime)
    with sdk_errors(*_ERRORS):
        video = client.videos.create(**fields)
    return video.id


def _look(client: openai.OpenAI, video_id: str) -> TaskState:
    """One try at reading the job, as a TaskState."""
    with sdk_errors(*_ERRORS):
        video = client.videos.retrieve(video_id)
    share = min(100, max(0, video.progress or 0)) / 100
    if video.status == "completed":
        return TaskState("succeeded", 1.0, "completed")
    if video.status == "failed":
        reason = video.error.message if video.error is not None else ""
        return TaskState("failed", note="failed", failure=reason)
    if video.status == "in_progress":
        return TaskState("running", share, f"in progress, {video.progress or 0} %")
    return TaskState("waiting", share, "queued")


def _download(client: openai.OpenAI, job: RemoteJob, video_id: str, out: Path) -> None:
    """One try at streaming the finished MP4 into `out`."""
    try:
        with (
            sdk_errors(*_ERRORS),
            client.videos.with_streaming_response.download_content(video_id) as response,
        ):
            job.write_video(response.iter_bytes(), out, response.headers)
    except httpx2.TransportError:  # the SDK's HTTP library, failing mid-body
        raise TryFailed(None, "the download was cut off") from None
