"""Media caps and quotas: photos judged by their header before any decoding, clips and songs
by the probe, and what one account may store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.accounts import create_account
from api.clock import now
from api.media_limits import (
    bytes_refusal,
    count_refusal,
    image_refusal,
    probed_refusal,
)
from api.models import ApiBase, MediaAssetRow, Project
from api.settings import ApiSettings
from engine.probe import ProbeResult
from tests.support.bombs import png_claiming

LIMITS = ApiSettings(
    max_image_pixels=50_000_000,
    max_video_width=4096,
    max_video_height=4096,
    max_video_s=600,
    max_audio_s=1200,
    max_uploads_per_project=2,
    max_bytes_per_user=1000,
)


def test_a_decompression_bomb_photo_is_refused_from_its_header(tmp_path: Path) -> None:
    bomb = png_claiming(tmp_path / "bomb.png", 64000, 64000)
    assert bomb.stat().st_size < 1000
    refusal = image_refusal(bomb, "holiday.png", LIMITS)
    # What the user sees: 422 naming the file, its size in pixels and the cap.
    assert refusal is not None and refusal.status == 422 and refusal.reason == "image_too_large"
    assert refusal.message == (
        "holiday.png is 64000x64000 pixels (4,096.0 MP); photos may have at most 50.0 MP."
    )
    assert image_refusal(png_claiming(tmp_path / "ok.png", 4000, 3000), "ok.png", LIMITS) is None


def probe_of(kind: str, width: int | None, height: int | None, ms: int | None) -> ProbeResult:
    return ProbeResult(
        kind=kind,
        format_name="x",
        codec="x",
        width=width,
        height=height,
        duration_ms=ms,
        has_audio=kind == "audio",
    )


def test_clips_and_songs_over_their_caps_are_refused_with_a_sentence() -> None:
    big = probed_refusal(probe_of("video", 7680, 4320, 5000), "8k.mp4", LIMITS)
    assert big is not None and big.reason == "video_too_large"
    assert big.message == "8k.mp4 is 7680x4320; clips may be at most 4096x4096."
    long = probed_refusal(probe_of("video", 1920, 1080, 3_600_000), "film.mp4", LIMITS)
    assert long is not None and long.message == (
        "film.mp4 lasts 1 h 00 min; clips may last at most 10 min 00 s."
    )
    song = probed_refusal(probe_of("audio", None, None, 72_000_000), "silence.mp3", LIMITS)
    assert song is not None and song.reason == "audio_too_long"
    assert song.message == "silence.mp3 lasts 20 h 00 min; a song may last at most 20 min 00 s."
    assert probed_refusal(probe_of("audio", None, None, 180_000), "song.mp3", LIMITS) is None
    assert probed_refusal(probe_of("video", 1920, 1080, 20_000), "clip.mp4", LIMITS) is None


@pytest.fixture
def project() -> Iterator[tuple[Session, Project]]:
    engine = create_engine("sqlite://")
    ApiBase.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        user, workspace = create_account(session, "me@example.com", "a password 1")
        made = Project(
            id="p1",
            workspace_id=workspace.id,
            owner_id=user.id,
            name="p",
            settings={},
            created_at=now(),
            updated_at=now(),
        )
        session.add(made)
        session.commit()
        yield session, made


def add_media(session: Session, project: Project, index: int, size: int) -> None:
    session.add(
        MediaAssetRow(
            id=f"asset-{index}",
            project_id=project.id,
            position=index,
            kind="image",
            content_type="image/png",
            filename=f"{index}.png",
            path=f"/m/{index}.png",
            checksum="c",
            size_bytes=size,
            width=10,
            height=10,
            rotation=0,
            codec="png",
            thumbnail_path="/t.jpg",
            created_at=now(),
        )
    )
    session.commit()


def test_quotas_count_a_projects_uploads_and_an_accounts_bytes(
    project: tuple[Session, Project],
) -> None:
    session, made = project
    add_media(session, made, 0, 400)
    assert count_refusal(session, made, LIMITS) is None
    assert bytes_refusal(session, made, 500, LIMITS) is None
    over = bytes_refusal(session, made, 700, LIMITS)
    assert over is not None and (over.status, over.reason) == (413, "quota_exceeded")
    assert over.message.startswith("Your uploads take 400 B and this file 700 B;")
    add_media(session, made, 1, 400)
    full = count_refusal(session, made, LIMITS)
    assert full is not None and full.status == 409
    assert full.message == (
        "The project is full: a project holds at most 2 photos and clips; remove some "
        "before uploading more."
    )
