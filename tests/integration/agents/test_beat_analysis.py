"""The analysis agent in a real worker against the real broker: grids, failures, reuse."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from engine.beat_grid import BeatGrid
from engine.files import file_checksum
from engine.sample_media import write_song
from events.base import make_event
from events.kafka_io import EventProducer
from events.payloads import BeatAnalysisRequested
from events.topics import Topic
from tests.support.pipeline import read_until, worker_env
from tests.support.worker import WorkerProcess, running_worker

BARS = 4  # 4 bars at 120 BPM: 16 beats, an 8 s song (plus a 1 s ring-out)


def request(track: str, audio: Path, checksum: str | None = None) -> Any:
    """A BeatAnalysisRequested envelope, correlated the way an upload's events could be."""
    payload = BeatAnalysisRequested(
        audio_track_id=track,
        project_id="proj-1",
        audio_path=str(audio),
        checksum=checksum or file_checksum(audio),
    )
    env = make_event(payload, trace_id=f"trace-{track}")
    return env.model_copy(update={"correlation_id": f"upload-{track}"})


async def analysed(
    worker: WorkerProcess, track: str, nth: int = 1, timeout_s: float = 60.0
) -> dict[str, Any]:
    """The worker's nth completion log line for one track."""

    def of_track(line: dict[str, Any]) -> bool:
        return (
            line["event"] == "render_worker.beat_analysis_completed"
            and line.get("audio_track_id") == track
        )

    await worker.wait_for(lambda _: sum(map(of_track, worker.lines)) >= nth, timeout_s=timeout_s)
    return [line for line in worker.lines if of_track(line)][nth - 1]


async def completions(bootstrap: str, prefix: str, count: int) -> list[Any]:
    """The first `count` BeatAnalysisCompleted events on the analysis topic."""
    events = await read_until(
        bootstrap,
        prefix,
        Topic.ANALYSIS,
        lambda seen: sum(e.type == "BeatAnalysisCompleted" for e in seen) >= count,
    )
    return [e for e in events if e.type == "BeatAnalysisCompleted"]


async def test_tracks_get_beat_grids_and_bad_files_fail_readably(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    song = write_song(tmp_path / "song-a", bpm=120.0, bars=BARS, seed=11)
    other = write_song(tmp_path / "song-b", bpm=120.0, bars=BARS, seed=12)
    corrupt = tmp_path / "upload" / "song.wav"
    corrupt.parent.mkdir()
    corrupt.write_bytes(os.urandom(64 * 1024))
    missing = tmp_path / "upload" / "gone.mp3"
    good, bad, lost, after = (
        request("track-good", song),
        request("track-corrupt", corrupt),
        request("track-missing", missing, checksum="0" * 64),
        request("track-after", other),
    )
    artifacts = tmp_path / "artifacts"
    # One pool process: every analysis pays librosa's numba warm-up in the same process.
    env = worker_env(kafka_bootstrap, topic_prefix, artifacts, BEATSTITCH_PROCESS_POOL_SIZE="1")
    # A relative artifacts dir, resolved against the worker's cwd: the grid path must not be.
    env["BEATSTITCH_ARTIFACTS_DIR"] = "artifacts"
    async with running_worker(env, cwd=tmp_path) as worker:
        async with EventProducer(kafka_bootstrap, topic_prefix) as producer:
            await producer.send(good)
            # The first analysis in a fresh process compiles (or loads) numba's cache.
            first = await analysed(worker, "track-good", timeout_s=120)
            grid_file = artifacts / "beat-grids" / f"beat_grid_{file_checksum(song)}.json"
            written_ns = grid_file.stat().st_mtime_ns

            await producer.send_many([bad, lost])
            failed = await analysed(worker, "track-corrupt")
            await analysed(worker, "track-missing")
            # Still serving after failures; `good` again is a redelivery of the same request.
            await producer.send_many([after, good])
            await analysed(worker, "track-after")
            second = await analysed(worker, "track-good", nth=2)
        events = await completions(kafka_bootstrap, topic_prefix, 5)

    assert first["trace_id"] == "trace-track-good" and first["seconds"] > 0
    assert abs(first["bpm"] - 120.0) <= 1.0
    assert failed["level"] == "warning" and "song.wav" in failed["error"]
    assert second["status"] == "completed"

    by_track: dict[str, list[Any]] = {}
    for e in events:
        by_track.setdefault(e.payload.audio_track_id, []).append(e)

    done = by_track["track-good"][0]
    p = done.payload
    assert p.status == "completed" and p.error == ""
    assert abs(p.bpm - 120.0) <= 1.0 and 0.5 <= p.bpm_confidence <= 1.0
    assert BARS * 4 - 2 <= p.beat_count <= BARS * 4 + 1
    assert p.beat_grid_path == str(grid_file.resolve()) and Path(p.beat_grid_path).is_absolute()
    grid = BeatGrid.model_validate_json(grid_file.read_bytes())
    assert len(grid.beats) == p.beat_count and grid.audio_file_checksum == good.payload.checksum
    assert p.beat_grid_checksum == hashlib.sha256(grid_file.read_bytes()).hexdigest()
    assert (done.trace_id, done.causation_id) == (good.trace_id, good.event_id)
    assert done.correlation_id == good.correlation_id == "upload-track-good"

    # The redelivered request reused the grid: same file, same bytes, not rewritten.
    again = by_track["track-good"][1].payload
    assert (again.beat_grid_path, again.beat_grid_checksum) == (
        p.beat_grid_path,
        p.beat_grid_checksum,
    )
    assert grid_file.stat().st_mtime_ns == written_ns

    corrupt_done = by_track["track-corrupt"][0].payload
    assert corrupt_done.status == "failed" and corrupt_done.bpm is None
    assert corrupt_done.beat_count == 0 and corrupt_done.beat_grid_path is None
    assert "song.wav" in corrupt_done.error and str(tmp_path) not in corrupt_done.error
    missing_done = by_track["track-missing"][0].payload
    assert missing_done.status == "failed" and "gone.mp3" in missing_done.error

    after_done = by_track["track-after"][0].payload
    assert after_done.status == "completed" and abs(after_done.bpm - 120.0) <= 1.0
