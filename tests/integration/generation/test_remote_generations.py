"""Remote providers through a real worker on the real broker: a request names a provider,
the worker calls its (imitated) API and the generation ends Completed with the provider's task
id, model and output URL, or Failed with the provider's reason and the tries it took."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from events.kafka_io import EventProducer
from events.topics import Topic
from tests.integration.generation.test_generator_agent import outcomes, request
from tests.support.pipeline import read_until, worker_env
from tests.support.provider_imitations.custom import CustomImitation
from tests.support.provider_imitations.openai_api import OpenAIImitation
from tests.support.provider_imitations.pika import PikaImitation
from tests.support.provider_imitations.runway import RunwayImitation
from tests.support.provider_imitations.server import API_KEY, serving
from tests.support.worker import running_worker

FAST = {
    "BEATSTITCH_VIDEO_API_RETRY_ATTEMPTS": "2",
    "BEATSTITCH_VIDEO_API_RETRY_DELAY": "0.01",
    "BEATSTITCH_VIDEO_API_POLL_INTERVAL": "0.05",
    "BEATSTITCH_VIDEO_API_STALL_TIMEOUT": "2",
}


async def test_each_remote_provider_ends_with_its_clip_or_its_reason(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, provider_clip: Path
) -> None:
    with contextlib.ExitStack() as stack:
        runway = stack.enter_context(serving(RunwayImitation(provider_clip)))
        openai = stack.enter_context(serving(OpenAIImitation(provider_clip)))
        pika = stack.enter_context(serving(PikaImitation(provider_clip)))
        custom = stack.enter_context(serving(CustomImitation(provider_clip)))
        pika.faults.server_errors = -1  # Pika answers 500 to every create
        custom.faults.task_failure = "the prompt was refused by the content filter"
        hosts = ",".join(i.url.split("://", 1)[1] for i in (runway, openai, pika, custom))
        env = worker_env(
            kafka_bootstrap,
            topic_prefix,
            tmp_path / "artifacts",
            BEATSTITCH_MEDIA_DIR=str(tmp_path / "media"),
            BEATSTITCH_REMOTE_HOSTS_ALLOWED=hosts,
            BEATSTITCH_RUNWAYML_API_KEY=API_KEY,
            BEATSTITCH_RUNWAYML_BASE_URL=runway.url,
            BEATSTITCH_OPENAI_API_KEY=API_KEY,
            BEATSTITCH_OPENAI_BASE_URL=openai.url + "/v1",
            BEATSTITCH_PIKA_API_KEY=API_KEY,
            BEATSTITCH_PIKA_BASE_URL=pika.url,
            BEATSTITCH_CUSTOM_VIDEO_API_URL=custom.url,
            BEATSTITCH_CUSTOM_VIDEO_API_KEY=API_KEY,
            **FAST,
        )
        sent = [
            request(f"gen-{name}", provider=name) for name in ("runway", "openai", "pika", "custom")
        ]
        async with (
            running_worker(env, cwd=tmp_path) as worker,
            EventProducer(kafka_bootstrap, topic_prefix) as producer,
        ):
            await producer.send_many(sent)
            events = await read_until(
                kafka_bootstrap,
                topic_prefix,
                Topic.VIDEO_GENERATIONS,
                lambda seen: len(outcomes(seen)) == len(sent),
            )
            lines: list[dict[str, Any]] = list(worker.lines)
        pika_creates = len(pika.seen("POST", "/fal-ai/"))
        runway_polls = len(runway.seen("GET", "/v1/tasks/"))

    ended = {k: v[0].payload for k, v in outcomes(events).items()}
    failures = {k: (p.error_code, p.error) for k, p in ended.items() if hasattr(p, "error")}
    for name in ("runway", "openai"):
        done = ended[f"gen-{name}"]
        assert not hasattr(done, "error"), failures
        assert done.provider == name
        assert done.task_id and done.model and (done.width, done.height) == (160, 120)
        assert done.attempts >= 2, "the create and at least one poll are counted"
        assert Path(done.path).is_file() and Path(done.thumbnail_path).is_file()
    assert ended["gen-runway"].video_url.startswith(runway.url)
    assert runway_polls >= 1

    pika_failed = ended["gen-pika"]
    assert pika_failed.error_code == "unavailable" and pika_failed.attempts == 3 == pika_creates
    custom_failed = ended["gen-custom"]
    assert custom_failed.error_code == "provider_failed"
    assert "the prompt was refused by the content filter" in custom_failed.error

    every_word = " ".join(map(str, lines)) + " ".join(e.model_dump_json() for e in events)
    assert API_KEY not in every_word, "the key is in no event and no log line"
