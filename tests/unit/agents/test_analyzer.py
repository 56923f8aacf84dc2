"""The analysis agent's handling of messages, with a fake pool and outbox (no librosa)."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agents.analyzer import Analyzer, GridDone, failure_message
from agents.pool import PoolChildDied, PoolClosed
from engine.errors import EngineError
from events.base import make_event
from events.codec import encode
from events.payloads import BeatAnalysisCompleted, BeatAnalysisRequested
from tests.support.guards import FAKE_SOURCES


class FakeOutbox:
    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.dead: list[tuple[Any, str, str]] = []

    async def send(self, envelopes: list[Any]) -> None:
        self.sent.extend(envelopes)

    async def dead_letter(self, message: Any, reason: str, consumer: str) -> None:
        self.dead.append((message, reason, consumer))


def analyzer(outcome: Any) -> tuple[Analyzer, FakeOutbox]:
    async def execute(fn: Any, *args: Any) -> Any:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    outbox = FakeOutbox()
    return Analyzer("w1", outbox, execute, Path("/grids"), FAKE_SOURCES), outbox  # type: ignore[arg-type]


def message(payload: Any) -> Any:
    return SimpleNamespace(value=encode(make_event(payload, trace_id="tr")))


REQUEST = BeatAnalysisRequested(
    audio_track_id="a1", project_id="p1", audio_path="/uploads/x/song.flac", checksum="c"
)


async def test_a_crashed_pool_is_a_failed_analysis_not_a_crashed_agent() -> None:
    agent, outbox = analyzer(BrokenProcessPool("a pool process died"))
    await agent.handle(message(REQUEST))
    (event,) = outbox.sent
    assert event.payload.status == "failed" and event.payload.bpm is None
    assert event.payload.error.startswith("the beat analysis of 'song.flac' failed unexpectedly")


async def test_a_grid_becomes_a_completed_event_caused_by_the_request() -> None:
    done = GridDone(120.0, 0.9, 16, "/grids/beat_grid_c.json", "g" * 64, "c")
    agent, outbox = analyzer(done)
    request = message(REQUEST)
    await agent.handle(request)
    (event,) = outbox.sent
    assert event.trace_id == "tr" and event.key == "a1"
    assert (event.payload.bpm, event.payload.beat_count) == (120.0, 16)
    assert event.payload.beat_grid_checksum == "g" * 64


async def test_undecodable_messages_are_dead_lettered_and_completions_ignored() -> None:
    agent, outbox = analyzer(AssertionError("the pool must not be called"))
    await agent.handle(SimpleNamespace(value=b"not json", topic="t", partition=0, offset=1))
    done = BeatAnalysisCompleted(audio_track_id="a1", project_id="p1", status="failed")
    await agent.handle(message(done))
    assert [(reason != "", consumer) for _, reason, consumer in outbox.dead] == [(True, "analyzer")]
    assert outbox.sent == []


def test_failure_messages_name_the_file_but_not_its_directory() -> None:
    path = "/srv/uploads/u1/track.mp3"
    for exc in (
        FileNotFoundError(2, "No such file", path),
        PermissionError(13, "Permission denied", path),
        EngineError("decode_error", "cannot decode audio file 'track.mp3': corrupt"),
    ):
        text = failure_message(exc, path)
        assert "track.mp3" in text and "/srv" not in text and text.endswith(".")


def crashing_then(outcome: Any, crashes: int) -> tuple[Analyzer, FakeOutbox]:
    left = [PoolChildDied("a pool process died")] * crashes

    async def execute(fn: Any, *args: Any) -> Any:
        if left:
            raise left.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    outbox = FakeOutbox()
    return Analyzer("w1", outbox, execute, Path("/grids"), FAKE_SOURCES), outbox  # type: ignore[arg-type]


async def test_a_dead_pool_process_is_tried_again_then_the_analysis_completes() -> None:
    done = GridDone(120.0, 0.9, 16, "/grids/beat_grid_c.json", "g" * 64, "c")
    agent, outbox = crashing_then(done, crashes=2)
    await agent.handle(message(REQUEST))
    (event,) = outbox.sent
    assert event.payload.status == "completed"


async def test_a_track_that_kills_every_pool_process_fails_with_a_sentence() -> None:
    agent, outbox = crashing_then(None, crashes=10)
    await agent.handle(message(REQUEST))
    (event,) = outbox.sent
    assert event.payload.status == "failed"
    assert "crashed the analysing process" in event.payload.error


async def test_a_stopping_worker_reports_no_analysis() -> None:
    agent, outbox = analyzer(PoolClosed("the worker is stopping"))
    with pytest.raises(PoolClosed):
        await agent.handle(message(REQUEST))
    assert outbox.sent == []
