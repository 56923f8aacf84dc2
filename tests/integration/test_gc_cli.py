"""`beatstitch gc` on a real artifacts and media tree with a real read model: what retention
allows goes, a live render keeps everything it uses, and --dry-run only lists."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from api.db import upgrade_all
from api.models import AudioTrack, Project, User, Workspace
from projections.db import make_engine
from projections.models import AudioAnalysis, RenderJob
from tests.support.cli import run_cli

DAY = 86400.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def aged(path: Path, age_s: float, size: int = 1000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    then = time.time() - age_s
    os.utime(path, (then, then))
    os.utime(path.parent, (then, then))
    return path


def job(job_id: str, project: str, status: str) -> RenderJob:
    return RenderJob(
        id=job_id, project_id=project, status=status, progress=0.0, progress_message="", metrics={}
    )


def read_model(url: str, media: Path, artifacts: Path) -> None:
    """Project p1 replaced its audio and has old renders; p2 is rendering with old audio."""
    engine = make_engine(url)
    upgrade_all(engine)
    with Session(engine) as s:
        s.add(User(id="u", email="u@example.com", password_hash="x", created_at=T0))
        s.add(Workspace(id="w", owner_id="u", name="w", created_at=T0))
        for p in ("p1", "p2"):
            s.add(Project(id=p, workspace_id="w", owner_id="u", name=p, settings={},
                          created_at=T0, updated_at=T0))  # fmt: skip
        for track, project, day in (("a-old", "p1", 1), ("a-new", "p1", 2), ("a-p2", "p2", 1)):
            s.add(AudioTrack(
                id=track, project_id=project, content_type="audio/x-wav", filename=f"{track}.wav",
                path=str(media / "projects" / project / "audio" / f"{track}.wav"), checksum=track,
                size_bytes=1000, duration_ms=1000, created_at=T0.replace(day=day),
            ))  # fmt: skip
            grid = str(artifacts / "beat-grids" / f"{track}.json")
            s.add(AudioAnalysis(audio_track_id=track, project_id=project, status="completed",
                                beat_count=1, beat_grid_path=grid))  # fmt: skip
        s.add_all([job("old", "p1", "complete"), job("newest", "p1", "complete")])
        s.add_all([job("failed", "p1", "failed"), job("live", "p2", "running")])
        s.commit()
    engine.dispose()


def test_gc_removes_what_retention_allows_and_nothing_a_live_render_uses(tmp_path: Path) -> None:
    artifacts, media = tmp_path / "artifacts", tmp_path / "media"
    url = f"sqlite:///{tmp_path / 'read.db'}"
    read_model(url, media, artifacts)
    audio = media / "projects"
    keep = [
        aged(artifacts / "renders" / "newest.mp4", 40 * DAY),  # p1's newest render
        aged(artifacts / "renders" / "live.mp4", 90 * DAY),  # an output of a live render
        aged(artifacts / "render_tmp" / "job_live" / "clip_0000.mp4", 3 * DAY),
        aged(audio / "p1" / "audio" / "a-new.wav", 60 * DAY),  # current audio
        aged(audio / "p2" / "audio" / "a-p2-replaced.wav", 60 * DAY),  # the live render's project
        aged(artifacts / "beat-grids" / "a-new.json", 90 * DAY),
        aged(artifacts / "renders" / ".newest.mp4.99.tmp.mp4", 60),  # being written
    ]
    go = [
        aged(artifacts / "renders" / "old.mp4", 45 * DAY, 5000),
        aged(artifacts / "render_tmp" / "job_failed" / "clip_0001.mp4", 2 * DAY),
        # A render_tmp folder no render in the read model owns (a crafted orphan).
        aged(artifacts / "render_tmp" / "job_orphan" / "clip_0000.mp4", 2 * DAY),
        aged(audio / "p1" / "audio" / "a-old.wav", 30 * DAY),  # replaced
        aged(audio / "p1" / "audio" / ".incoming-0123abcd", 2 * DAY),
        aged(artifacts / "beat-grids" / "a-old.json", 40 * DAY),
        aged(artifacts / "beat-grids" / ".a-new.json.4242.tmp", 2 * DAY),
    ]
    env = {
        **os.environ,
        "BEATSTITCH_DATABASE_URL": url,
        "BEATSTITCH_ARTIFACTS_DIR": str(artifacts),
        "BEATSTITCH_MEDIA_DIR": str(media),
        "COLUMNS": "250",
    }

    dry = run_cli("gc", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert all(p.exists() for p in keep + go)  # a dry run removes nothing
    for path in go:
        assert str(path.parent if "render_tmp" in str(path) else path) in dry.stdout
    assert "Would free" in dry.stdout and "job_live" not in dry.stdout

    done = run_cli("gc", env=env)
    assert done.returncode == 0, done.stderr
    assert all(p.exists() for p in keep), [str(p) for p in keep if not p.exists()]
    assert not any(p.exists() for p in go), [str(p) for p in go if p.exists()]
    # What the user reads: files and bytes per kind.
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    assert "Freed" in done.stdout
    assert " 1 " in rows["render"] and "5000" in rows["render"]
    assert " 2 " in rows["render_tmp"] and " 2 " in rows["temp"] and " 1 " in rows["audio"]
    assert " 7 " in rows["total"]


def test_gc_refuses_a_database_without_read_models(tmp_path: Path) -> None:
    env = {**os.environ, "BEATSTITCH_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    done = run_cli("gc", "--dry-run", env=env)
    # Every render would look unrequested: the user is told instead.
    assert done.returncode == 1 and "has no read models" in done.stderr
    assert "Traceback" not in done.stderr
