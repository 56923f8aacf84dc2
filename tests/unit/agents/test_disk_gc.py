"""The worker's disk collection on a real folder: what the log says ended goes after the temp
retention; a render it has not seen end (live here or elsewhere) keeps its files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import REGISTRY

from agents.disk_gc import DiskCollector
from agents.settings import RetentionSettings
from domain.retention import Kind


def write(path: Path, size: int, age_s: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    then = time.time() - age_s
    os.utime(path, (then, then))
    os.utime(path.parent, (then, then))  # a folder's time is that of its last new file
    return path


def freed_bytes(kind: str) -> float:
    value = REGISTRY.get_sample_value("render_gc_bytes_freed_total", {"kind": kind})
    return value or 0.0


def test_the_worker_removes_ended_render_tmp_and_old_temp_files_only(tmp_path: Path) -> None:
    day = 86400.0
    ended = write(tmp_path / "render_tmp" / "job_done" / "clip_0000.mp4", 1000, 2 * day)
    live = write(tmp_path / "render_tmp" / "job_live" / "clip_0000.mp4", 1000, 2 * day)
    elsewhere = write(tmp_path / "render_tmp" / "job_other" / "clip_0000.mp4", 1000, 2 * day)
    stale = write(tmp_path / "renders" / ".job_done.mp4.4242.tmp.mp4", 300, 2 * day)
    fresh = write(tmp_path / "renders" / ".job_live.mp4.4243.tmp.mp4", 300, 60)
    output = write(tmp_path / "renders" / "done.mp4", 5000, 400 * day)
    grid = write(tmp_path / "beat-grids" / "abc.json", 50, 400 * day)
    collector = DiskCollector(
        worker_id="w1",
        artifacts=tmp_path,
        retention=RetentionSettings().retention(),
        ended=lambda: {"done"},
        live=lambda: ["live"],
    )
    before = freed_bytes("render_tmp")
    freed = collector.collect(collector.knowledge())
    assert not ended.parent.exists() and not stale.exists()
    # A live render, one this worker has not seen end, a file being written, the render
    # output and the beat grid (both need the read model: beatstitch gc) all stay.
    assert live.exists() and elsewhere.exists() and fresh.exists()
    assert output.exists() and grid.exists()
    assert (freed[Kind.RENDER_TMP].files, freed[Kind.RENDER_TMP].bytes) == (1, 1000)
    assert (freed[Kind.TEMP].files, freed[Kind.TEMP].bytes) == (1, 300)
    assert freed_bytes("render_tmp") - before == 1000


def test_a_removed_file_takes_the_folder_stores_checksum_record_with_it(tmp_path: Path) -> None:
    from agents.disk_scan import remove
    from domain.retention import Doomed, Found

    song = tmp_path / "a.wav"
    song.write_bytes(b"x" * 10)
    record = tmp_path / "a.wav.sha256"
    record.write_text("0" * 64 + " 10 1\n")
    found = Found(song, Kind.AUDIO, 10, 1e9, None)
    freed = remove([Doomed(found, "replaced audio past its retention")])
    assert freed[Kind.AUDIO].files == 1
    assert not song.exists() and not record.exists()
