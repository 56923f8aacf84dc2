"""What every remote provider does over HTTP, in one place: tries and retries, polling a task,
and downloading its output.

A provider describes one try of a call (an httpx request, or an SDK method with the SDK's own
retries off); `RemoteJob.call` runs it with the shared rules: 429 waits for Retry-After, 5xx,
refused connections and timeouts are retried with a doubling delay, 401/403 is a bad key and
any other 4xx a rejected request in the provider's own words. Every try is counted, and every
sentence that leaves this module has the API key scrubbed out of it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal, NoReturn, TypeVar
from urllib.parse import urlsplit

import httpx

from engine.files import atomic_output
from engine.generation.provider import (
    ProgressFn,
    ProviderError,
    ProviderErrorCode,
    ProviderSettings,
)

T = TypeVar("T")

RETRY_AFTER_CAP_S = 120.0  # a provider asking for longer is treated as asking for this
POLL_SHARE = 0.9  # progress share for the provider's work; the download takes the rest
DETAIL_CHARS = 300  # the most of a provider's own message we repeat
# Container signatures: an ISO-BMFF box type at offset 4 (MP4, MOV) or the EBML magic (WebM).
_ISO_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


class TryFailed(Exception):
    """One try that did not succeed: the HTTP status (None: no answer at all) and the
    provider's own words, with its Retry-After header when it sent one."""

    def __init__(self, status: int | None, detail: str, retry_after: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


TaskStatus = Literal["waiting", "running", "succeeded", "failed"]


@dataclass(frozen=True)
class TaskState:
    """One look at a remote task, in terms common to every provider."""

    status: TaskStatus
    share: float | None = None  # the provider's progress 0..1, when it gives one
    note: str = ""  # the provider's own status words, shown to people and watched for stalls
    output_url: str = ""
    failure: str = ""  # the provider's reason when status is "failed"


def retry_after_s(header: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), capped; None if unset."""
    if not header:
        return None
    text = header.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text).timestamp()
        except (TypeError, ValueError):
            return None
        seconds = when - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def provider_message(body: object) -> str:
    """The provider's own sentence from an error body (JSON or text), or ""."""
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            return " ".join(text.split())[:DETAIL_CHARS] if "<" not in text else ""
    if isinstance(body, str):
        return body[:DETAIL_CHARS]
    if isinstance(body, list):
        return "; ".join(filter(None, (provider_message(item) for item in body)))[:DETAIL_CHARS]
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "msg", "failure", "reason"):
            if body.get(key):
                return provider_message(body[key])
    return ""


def is_video_head(head: bytes) -> bool:
    """True when the first bytes are those of an MP4/MOV or a WebM file."""
    return head[4:8] in _ISO_BOXES or head.startswith(_EBML_MAGIC)


def required_key(settings: ProviderSettings, provider: str) -> str:
    """The provider's API key, or a not_configured ProviderError (no HTTP try made)."""
    key = settings.api_key.get_secret_value()
    if not key:
        raise ProviderError("not_configured", f"{provider} has no API key in the settings", 0)
    return key


def checked_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    return url


def data_uri(image: Path) -> str:
    """The picture as a base64 data URI, the form the providers take inline images in."""
    mime = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(image.read_bytes()).decode('ascii')}"


def http_error(response: httpx.Response) -> TryFailed:
    """A non-2xx httpx response (its body already read) as a failed try."""
    return TryFailed(
        response.status_code,
        provider_message(response.content),
        response.headers.get("retry-after"),
    )


@contextlib.contextmanager
def sdk_errors(status_error: type[Exception], connection_error: type[Exception]) -> Iterator[None]:
    """Turn a Stainless-built SDK's exceptions (openai, runwayml) into failed tries."""
    try:
        yield
    except status_error as exc:
        response = getattr(exc, "response", None)
        headers = response.headers if response is not None else {}
        detail = provider_message(getattr(exc, "body", None))
        raise TryFailed(
            getattr(exc, "status_code", 0), detail, headers.get("retry-after")
        ) from None
    except connection_error as exc:
        timed_out = "timeout" in type(exc).__name__.lower()
        raise TryFailed(None, "the request timed out" if timed_out else "no connection") from None


class RemoteJob:
    """One generation's conversation with a provider: its tries, polls and the download."""

    def __init__(self, provider: str, settings: ProviderSettings, client: httpx.Client) -> None:
        self.provider = provider
        self.settings = settings
        self.client = client
        self.attempts = 0  # HTTP tries so far, retries included

    def error(self, code: ProviderErrorCode, message: str) -> ProviderError:
        """A ProviderError with the tries counted and the key scrubbed from the sentence."""
        key = self.settings.api_key.get_secret_value()
        if key:
            message = message.replace(key, "[key]")
        return ProviderError(code, message, attempts=self.attempts)

    def call(
        self, what: str, try_once: Callable[[], T], missing: frozenset[int] = frozenset()
    ) -> T:
        """Run `try_once` under the retry rules; statuses in `missing` mean the output is gone."""
        delay = self.settings.retry_delay_s
        for tries_left in range(self.settings.retry_attempts, -1, -1):
            self.attempts += 1
            try:
                return try_once()
            except TryFailed as exc:
                failed = exc
            # Decided outside the except block, so no ProviderError drags the SDK's exception
            # (whose request holds the key) along as its context.
            wait = self._wait_before_retry(what, failed, missing, tries_left == 0)
            time.sleep(delay if wait is None else wait)
            delay *= 2
        raise AssertionError("unreachable: the last try returns or raises")

    def _wait_before_retry(
        self, what: str, failed: TryFailed, missing: frozenset[int], last: bool
    ) -> float | None:
        """Raise the ProviderError this failure ends in, or return the wait it asks for
        (None: the usual doubling delay)."""
        status, words = failed.status, failed.detail
        said = f": {words}" if words else ""
        if status in missing:
            self._fail("output_missing", f"{self.provider} no longer has the clip ({status}){said}")
        if status in {401, 403}:
            self._fail("bad_key", f"{self.provider} refused the API key ({status}){said}")
        if status == 429:
            if last:
                self._fail(
                    "rate_limited",
                    f"{self.provider} is still limiting our requests after {self.attempts} tries",
                )
            return retry_after_s(failed.retry_after)
        if status is not None and 400 <= status < 500:
            self._fail("rejected", f"{self.provider} refused the {what} request ({status}){said}")
        if last:
            why = f"answered {status}" if status is not None else f"failed ({words})"
            tries = "1 try" if self.attempts == 1 else f"{self.attempts} tries"
            self._fail(
                "unavailable",
                f"{self.provider} is unavailable: the {what} request {why}, {tries} in all",
            )
        return None

    def _fail(self, code: ProviderErrorCode, message: str) -> NoReturn:
        raise self.error(code, message)

    def send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        """One httpx try: the response when 2xx, else TryFailed (as is no answer at all)."""
        try:
            response = self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            raise TryFailed(None, "the request timed out") from None
        except httpx.TransportError:
            raise TryFailed(None, "no connection") from None
        if not response.is_success:
            raise http_error(response)
        return response

    def poll(self, look: Callable[[], TaskState], progress: ProgressFn) -> TaskState:
        """Look at the task until it succeeds; raise when it fails or stops changing."""
        seen: tuple[object, ...] | None = None
        changed_at = began = time.monotonic()
        shown = 0.0
        while True:
            if time.monotonic() - began > self.settings.max_wait_s:
                self._fail(
                    "stalled",
                    f"{self.provider}'s task did not finish within "
                    f"{self.settings.max_wait_s:g} s, the longest a generation may take",
                )
            state = self.call("status", look)
            if state.status == "succeeded":
                return state
            if state.status == "failed":
                reason = state.failure or "it gave no reason"
                self._fail("provider_failed", f"{self.provider} could not make the clip: {reason}")
            now = time.monotonic()
            if (state.status, state.share, state.note) != seen:
                seen, changed_at = (state.status, state.share, state.note), now
                shown = max(shown, POLL_SHARE * min(1.0, max(0.0, state.share or 0.0)))
                progress(shown, f"{self.provider}: {state.note or state.status}")
            elif now - changed_at >= self.settings.stall_timeout_s:
                self._fail(
                    "stalled",
                    f"{self.provider}'s task has not moved for {round(now - changed_at, 1):g} s"
                    f" (still {state.note or state.status})",
                )
            time.sleep(self.settings.poll_interval_s)

    def download(self, url: str, out: Path, headers: Mapping[str, str] | None = None) -> None:
        """Fetch the output at `url` (any http(s) host) into `out`, atomically and capped."""
        try:
            checked_url(url)
        except ValueError:
            self._fail("output_missing", f"{self.provider} gave an output address we cannot fetch")

        def once() -> None:
            try:
                with self.client.stream(
                    "GET", url, headers=dict(headers or {}), follow_redirects=True
                ) as response:
                    if not response.is_success:
                        response.read()
                        raise http_error(response)
                    self.write_video(response.iter_bytes(), out, response.headers)
            except httpx.TimeoutException:
                raise TryFailed(None, "the download timed out") from None
            except httpx.TransportError:
                raise TryFailed(None, "the download was cut off") from None

        self.call("download", once, missing=frozenset({404, 410}))

    def write_video(
        self, chunks: Iterable[bytes], out: Path, headers: Mapping[str, str] | None = None
    ) -> None:
        """Write a downloaded body to `out` if it is a video no larger than allowed."""
        cap = self.settings.max_output_bytes
        declared = (headers or {}).get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            self._too_large()
        size, head = 0, b""
        with atomic_output(out) as tmp, tmp.open("wb") as sink:
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    self._too_large()
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                sink.write(chunk)
            if not is_video_head(head):
                self._fail(
                    "not_a_video",
                    f"{self.provider} sent {size} bytes that are not an MP4, MOV or WebM video",
                )

    def _too_large(self) -> NoReturn:
        limit_mb = self.settings.max_output_bytes / 1_000_000
        self._fail(
            "too_large", f"{self.provider}'s clip is larger than the {limit_mb:g} MB allowed"
        )
