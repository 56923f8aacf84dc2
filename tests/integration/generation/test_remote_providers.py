"""The remote providers against local imitations of their APIs, over real sockets.

Each provider's own client (the runwayml and openai SDKs, httpx for Pika and ours) is pointed
at an imitation through its base-URL setting, nothing patched. For each provider: the clip a
user asked for lands at `out` as a playable video with rising progress, and every failure ends
with the code the user's screen shows, a sentence they can read, the tries counted, and never
the API key.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import SecretStr

from engine.generation.provider import ProviderError, ProviderOutcome, ProviderSettings
from engine.generation.registry import make_provider
from engine.generation.spec import ClipSpec
from engine.probe import probe
from tests.support.provider_imitations.custom import CustomImitation
from tests.support.provider_imitations.openai_api import OpenAIImitation
from tests.support.provider_imitations.pika import PikaImitation
from tests.support.provider_imitations.runway import RUNWAY_VERSION, RunwayImitation
from tests.support.provider_imitations.server import API_KEY, Imitation, Seen, serving

pytestmark = [
    pytest.mark.timeout(60),
    # The openai SDK marks its video API deprecated (OpenAI announced its shutdown).
    pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning"),
]


@dataclass(frozen=True)
class Case:
    """One provider: its imitation, the path under the server its SDK calls, its create path."""

    name: str
    imitation: type[Imitation]
    base_path: str
    create_path: str


CASES = [
    Case("runway", RunwayImitation, "", "/v1/text_to_video"),
    Case("openai", OpenAIImitation, "/v1", "/v1/videos"),
    Case("pika", PikaImitation, "", "/fal-ai/pika/v2.2/text-to-video"),
    Case("custom", CustomImitation, "", "/generations"),
]
SPEC = ClipSpec(prompt="a lighthouse in a storm, waves crashing", seed=7, duration_s=5.0)


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture
def imitation(case: Case, provider_clip: Path) -> Iterator[Imitation]:
    with serving(case.imitation(provider_clip)) as running:
        yield running


def settings(case: Case, imitation: Imitation, **changes: object) -> ProviderSettings:
    fields: dict[str, object] = {
        "api_key": SecretStr(API_KEY),
        "base_url": imitation.url + case.base_path,
        "request_timeout_s": 5.0,
        "retry_attempts": 2,
        "retry_delay_s": 0.01,
        "poll_interval_s": 0.01,
        "stall_timeout_s": 0.3,
        **changes,
    }
    return ProviderSettings.model_validate(fields)


@dataclass
class Run:
    """What a generation reported: its progress calls and its outcome or error."""

    progress: list[tuple[float, str]]
    outcome: ProviderOutcome | None = None
    error: ProviderError | None = None


def generate(
    case: Case, imitation: Imitation, out: Path, spec: ClipSpec = SPEC, **changes: object
) -> Run:
    run = Run(progress=[])
    provider = make_provider(case.name, settings(case, imitation, **changes))
    try:
        run.outcome = provider.generate(spec, out, lambda s, m: run.progress.append((s, m)))
    except ProviderError as exc:
        run.error = exc
    return run


def failed(case: Case, imitation: Imitation, out: Path, **changes: object) -> ProviderError:
    """The ProviderError a generation ended with; it leaves no file and no key behind."""
    run = generate(case, imitation, out, SPEC, **changes)
    assert run.outcome is None and run.error is not None, "the generation should have failed"
    error = run.error
    for text in (str(error), repr(error), error.message, repr(error.__reduce__())):
        assert API_KEY not in text
    assert error.__context__ is None and error.__cause__ is None  # no SDK exception in tow
    assert 10 < len(error.message) < 400 and "\n" not in error.message
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.*"))  # no half-written file left
    return error


def creates(case: Case, imitation: Imitation) -> list[Seen]:
    return imitation.seen("POST", case.create_path)


# --- the happy path ---


def test_the_clip_arrives_as_a_playable_video_with_rising_progress(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    out = tmp_path / "clip.mp4"
    run = generate(case, imitation, out)

    assert run.error is None and run.outcome is not None
    assert probe(out).kind == "video"
    shares = [share for share, _ in run.progress]
    assert len(shares) >= 4 and shares == sorted(shares) and shares[-1] == 1.0
    assert all(message for _, message in run.progress)
    assert run.outcome.task_id and run.outcome.task_id in imitation.requests[1].path
    assert run.outcome.video_url.startswith(imitation.url)
    assert run.outcome.attempts == len(imitation.requests)  # every try counted, no retries
    assert len(creates(case, imitation)) == 1


def test_each_request_carries_what_the_provider_documents(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    run = generate(case, imitation, tmp_path / "clip.mp4")
    assert run.outcome is not None
    api_calls = [s for s in imitation.requests if not s.path.startswith("/files/")]
    downloads = imitation.seen("GET", "/files/")
    wanted = "Key " if case.name == "pika" else "Bearer "
    assert all(s.headers["authorization"] == wanted + API_KEY for s in api_calls)
    assert all("authorization" not in s.headers for s in downloads)  # the key stays home
    create = creates(case, imitation)[0]
    if case.name == "runway":
        assert all(s.headers["x-runway-version"] == RUNWAY_VERSION for s in api_calls)
        assert create.json() | {"promptText": SPEC.prompt, "ratio": "1280:720"} == create.json()
        assert create.json()["duration"] == 5 and create.json()["seed"] == 7
    elif case.name == "openai":
        form = create.form()
        assert form["prompt"] == SPEC.prompt and form["size"] == "1280x720"
        assert form["seconds"] == "4" and run.outcome.metadata["seconds"] == "4"
        assert run.outcome.metadata["asked_duration_s"] == "5"
        assert not downloads and imitation.seen("GET", "/v1/videos/")[-1].path.endswith("/content")
    elif case.name == "pika":
        body = create.json()
        assert body["prompt"] == SPEC.prompt and body["duration"] == 5
        assert body["aspect_ratio"] == "16:9" and body["seed"] == 7
    else:
        body = create.json()
        assert body["prompt"] == SPEC.prompt and body["duration_s"] == 5.0
        assert body["image"] is None and body["camera_motion"] == SPEC.camera_motion


def test_a_picture_is_sent_with_the_request(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    picture = tmp_path / "still.png"
    cv2.imwrite(str(picture), np.full((90, 160, 3), 200, np.uint8))
    spec = SPEC.model_copy(update={"image": picture})
    run = generate(case, imitation, tmp_path / "clip.mp4", spec=spec)
    assert run.outcome is not None
    create = imitation.seen("POST", "/")[0]
    if case.name == "runway":
        assert create.path == "/v1/image_to_video"
        assert create.json()["promptImage"].startswith("data:image/png;base64,")
    elif case.name == "openai":
        assert create.form()["input_reference"] == picture.read_bytes()
    elif case.name == "pika":
        assert create.path == "/fal-ai/pika/v2.2/image-to-video"
        assert create.json()["image_url"].startswith("data:image/png;base64,")
    else:
        assert create.json()["image"].startswith("data:image/png;base64,")


# --- failures ---


def test_a_wrong_key_is_reported_as_a_bad_key(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    error = failed(case, imitation, tmp_path / "c.mp4", api_key=SecretStr(wrong))
    assert error.code == "bad_key" and "refused the API key" in error.message
    assert wrong not in str(error) and wrong not in repr(error)
    assert error.attempts == 1 and len(imitation.requests) == 1  # a bad key is not retried


def test_a_missing_key_or_url_is_not_configured(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    empty = {"base_url": ""} if case.name == "custom" else {"api_key": SecretStr("")}
    error = failed(case, imitation, tmp_path / "c.mp4", **empty)
    assert error.code == "not_configured" and error.attempts == 0 and not imitation.requests


def test_a_rate_limit_waits_for_retry_after_then_succeeds(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    imitation.faults.rate_limit_once = True
    started = time.monotonic()
    run = generate(case, imitation, tmp_path / "clip.mp4")
    assert run.outcome is not None and probe(tmp_path / "clip.mp4").kind == "video"
    assert time.monotonic() - started >= 0.95  # Retry-After: 1 was honoured
    assert len(creates(case, imitation)) == 2
    assert run.outcome.attempts == len(imitation.requests)


def test_server_errors_are_retried_and_counted(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    imitation.faults.server_errors = 2
    run = generate(case, imitation, tmp_path / "clip.mp4")
    assert run.outcome is not None and probe(tmp_path / "clip.mp4").kind == "video"
    assert len(creates(case, imitation)) == 3
    assert run.outcome.attempts == len(imitation.requests)


def test_a_provider_that_keeps_failing_is_unavailable(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    imitation.faults.server_errors = -1
    error = failed(case, imitation, tmp_path / "c.mp4")
    assert error.code == "unavailable" and "500" in error.message
    assert error.attempts == 3 == len(creates(case, imitation))  # the first try and 2 retries


def test_a_provider_that_cannot_be_reached_is_unavailable(case: Case, tmp_path: Path) -> None:
    with serving(case.imitation(tmp_path)) as closed:
        pass  # the port is closed again: every connection is refused
    error = failed(case, closed, tmp_path / "c.mp4")
    assert error.code == "unavailable" and "no connection" in error.message
    assert error.attempts == 3


def test_a_refused_request_says_the_providers_own_words(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    imitation.faults.reject = "The prompt is longer than this model takes"
    error = failed(case, imitation, tmp_path / "c.mp4")
    assert error.code == "rejected" and "longer than this model takes" in error.message
    assert error.attempts == 1


def test_a_task_that_stops_moving_has_stalled(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    imitation.faults.stall = True
    started = time.monotonic()
    error = failed(case, imitation, tmp_path / "c.mp4")
    assert error.code == "stalled" and "has not moved" in error.message
    assert 0.3 <= time.monotonic() - started < 5
    assert error.attempts == len(imitation.requests)


def test_a_task_that_moves_but_never_ends_is_given_up(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    # Every poll moves the imitation's task on, so only the overall limit ends it.
    error = failed(case, imitation, tmp_path / "c.mp4", max_wait_s=0.015, poll_interval_s=0.01)
    assert error.code == "stalled"
    assert "did not finish within 0.015 s, the longest a generation may take" in error.message


def test_a_task_the_provider_fails_carries_its_reason(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    imitation.faults.task_failure = "The prompt was flagged by moderation"
    error = failed(case, imitation, tmp_path / "c.mp4")
    assert error.code == "provider_failed" and "flagged by moderation" in error.message


@pytest.mark.parametrize(
    ("fault", "code"),
    [("output_missing", "output_missing"), ("output_not_video", "not_a_video")],
)
def test_a_bad_output_is_never_written(
    case: Case, imitation: Imitation, tmp_path: Path, fault: str, code: str
) -> None:
    setattr(imitation.faults, fault, True)
    error = failed(case, imitation, tmp_path / "c.mp4")
    assert error.code == code
    assert error.attempts == len(imitation.requests)


def test_an_output_over_the_size_cap_is_too_large(
    case: Case, imitation: Imitation, tmp_path: Path
) -> None:
    error = failed(case, imitation, tmp_path / "c.mp4", max_output_bytes=1000)
    assert error.code == "too_large" and "MB allowed" in error.message


def test_the_custom_service_may_take_no_key(provider_clip: Path, tmp_path: Path) -> None:
    case = CASES[3]
    keyless = CustomImitation(provider_clip)
    keyless.require_key = False
    with serving(keyless) as running:
        run = generate(case, running, tmp_path / "clip.mp4", api_key=SecretStr(""))
    assert run.outcome is not None and probe(tmp_path / "clip.mp4").kind == "video"
    assert all("authorization" not in s.headers for s in running.requests)
