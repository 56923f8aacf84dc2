"""The one interface every video provider implements, its result, its errors and settings.

A provider turns a ClipSpec into an MP4 at a given path and reports progress as it goes. It
knows nothing of Kafka or of the database: the generator agent picks the provider, runs it off
the event loop, probes what it wrote and turns the outcome into events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from engine.generation.spec import ClipSpec

# (share done 0..1, a short sentence for people) — called as often as the provider likes.
ProgressFn = Callable[[float, str], None]

ProviderErrorCode = Literal[
    "bad_key",  # the provider refused the API key (401/403)
    "rate_limited",  # still 429 after every retry
    "unavailable",  # 5xx, a refused connection or a timeout after every retry
    "rejected",  # the provider refused the request itself (4xx other than auth and 429)
    "provider_failed",  # the task ended failed on the provider's side, with its reason
    "stalled",  # the task made no progress for the longest allowed wait
    "output_missing",  # the output URL could not be downloaded (404 and the like)
    "not_a_video",  # what was downloaded or written is not a playable video
    "too_large",  # the output is larger than the allowed download
    "not_configured",  # the provider has no key or URL in the settings
    "invalid_input",  # the spec cannot be made by this provider (e.g. a kind it lacks)
    "address_refused",  # an address the provider gave is on a private network
]


class ProviderError(Exception):
    """A generation that ended without a clip: a code for machines, a sentence for people.

    The message never holds an API key, and `attempts` counts the HTTP tries made."""

    def __init__(self, code: ProviderErrorCode, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.code: ProviderErrorCode = code
        self.message = message
        self.attempts = attempts

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Survive the trip back from a process-pool worker with every field.
        return (ProviderError, (self.code, self.message, self.attempts))


@dataclass(frozen=True)
class ProviderOutcome:
    """What a provider reports about a clip it wrote."""

    task_id: str  # the provider's own id of the task ("" when it has none)
    model: str  # the model that made the clip, as the provider names it
    video_url: str = ""  # where the provider served the output ("" for local)
    attempts: int = 1  # HTTP tries, retries included
    metadata: dict[str, str] = field(default_factory=dict)  # provider fields worth keeping


class ProviderSettings(BaseModel):
    """How to reach one remote provider; the key is a secret and prints as '**********'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr = SecretStr("")
    base_url: str = ""  # the provider's API root; tests point it at a local imitation
    request_timeout_s: float = Field(default=30.0, gt=0, le=600)
    retry_attempts: int = Field(default=3, ge=0, le=10)  # tries after the first
    retry_delay_s: float = Field(default=2.0, ge=0, le=300)  # before the first retry; doubles
    poll_interval_s: float = Field(default=2.0, gt=0, le=60)
    # A task whose status and progress do not change for this long has stalled.
    stall_timeout_s: float = Field(default=300.0, gt=0, le=3600)
    # The longest a task may take however it moves, so every generation ends.
    max_wait_s: float = Field(default=1800.0, gt=0, le=86400)
    max_output_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    model: str = ""  # the provider's model; "" for its documented default
    # Hosts (`host` or `host:port`) a provider's client may reach besides public addresses
    # and its own base URL's host: the worker's remote-source allowlist.
    hosts_allowed: frozenset[str] = frozenset()


class VideoProvider(Protocol):
    """Writes the clip a spec asks for to `out` (an .mp4 path whose folder exists)."""

    name: ClassVar[str]
    # True: CPU-bound, runs in the worker's process pool; False: waits on HTTP, runs in a thread.
    runs_on_cpu: ClassVar[bool]

    def generate(self, spec: ClipSpec, out: Path, progress: ProgressFn) -> ProviderOutcome:
        """Write the clip and report progress; raise ProviderError when there is none."""
        ...
