"""The read model of upload proxies: what a worker made for each asset, by output size or
"music", so a render request names the proxies that exist (pure folds, and a round trip
through SQLite as the projector writes it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from events.base import Envelope, Payload, make_event
from events.payloads import MediaProxyCompleted, MediaProxyRequested
from events.payloads.common import ObjectRef, ProxyRef
from projections.batch import fold_batch, keys_of
from projections.db import make_engine
from projections.folds import fold_proxies
from projections.models import Base
from projections.store import BatchState, load_batch, save_batch

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SHA = "cd" * 32


def stamped(payloads: list[Payload]) -> list[Envelope[Any]]:
    return [
        make_event(p, trace_id="t", occurred_at=T0 + timedelta(seconds=i), event_id=f"e{i}")
        for i, p in enumerate(payloads)
    ]


def requested(
    asset: str = "v1", kind: str = "video", size: tuple[int, int] = (320, 180)
) -> Payload:
    sized = {} if kind == "music" else {"width": size[0], "height": size[1], "fps": 24}
    return MediaProxyRequested(
        asset_id=asset, project_id="p", kind=kind, checksum="x", path=f"/m/{asset}", **sized
    )


def made(asset: str = "v1", size: tuple[int, int] = (320, 180), recipe: int = 1) -> Payload:
    proxy = ProxyRef(
        key=f"proxies/{asset}/{size[0]}x{size[1]}.mp4",
        sha256=SHA,
        size=900,
        width=size[0],
        height=size[1],
        recipe=recipe,
    )
    return MediaProxyCompleted(
        asset_id=asset,
        project_id="p",
        kind="video",
        variant=f"{size[0]}x{size[1]}",
        status="completed",
        proxy=proxy,
    )


def failed(asset: str = "v1", kind: str = "video", variant: str = "320x180") -> Payload:
    return MediaProxyCompleted(
        asset_id=asset,
        project_id="p",
        kind=kind,
        variant="music" if kind == "music" else variant,
        status="failed",
        error="no video stream",
    )


def fold(events: list[Envelope[Any]]) -> dict[str, Any]:
    proxies: dict[str, Any] = {}
    for env in events:
        proxies = fold_proxies(proxies, env)
    return proxies


def test_a_requested_proxy_is_pending_until_a_worker_makes_it() -> None:
    events = stamped([requested(), made()])
    assert fold(events[:1])["320x180"].status == "pending"
    done = fold(events)["320x180"]
    assert (done.status, done.key, done.recipe) == ("completed", "proxies/v1/320x180.mp4", 1)
    assert (done.width, done.height, done.sha256, done.size) == (320, 180, SHA, 900)


def test_the_latest_outcome_of_a_variant_wins_and_a_redelivery_changes_nothing() -> None:
    events = stamped([requested(), made(recipe=1), made(recipe=2)])
    once = fold(events)
    assert once["320x180"].recipe == 2
    assert fold([*events, events[-1]]) == once
    # A later request of a proxy already made does not turn it back to pending.
    assert fold([*events, *stamped([requested()])])["320x180"].status == "completed"


def test_a_failure_names_the_variant_it_answers() -> None:
    events = stamped([requested(size=(320, 180)), requested(size=(640, 360)), failed()])
    proxies = fold(events)
    assert proxies["320x180"].status == "failed"
    assert proxies["320x180"].error == "no video stream"
    assert proxies["640x360"].status == "pending"
    # A redelivered failure of one size never marks another size failed.
    assert fold([*events, events[-1]])["640x360"].status == "pending"


def test_an_outcome_whose_size_is_not_its_variant_is_malformed() -> None:
    made_one: Any = made()
    with pytest.raises(ValueError, match="is not its variant"):
        MediaProxyCompleted(
            asset_id="v1",
            project_id="p",
            kind="video",
            variant="640x360",
            status="completed",
            proxy=made_one.proxy,
        )
    with pytest.raises(ValueError, match="names its object"):
        MediaProxyCompleted(
            asset_id="v1", project_id="p", kind="video", variant="320x180", status="completed"
        )


def test_the_song_proxy_is_the_music_variant() -> None:
    song = MediaProxyCompleted(
        asset_id="a1",
        project_id="p",
        kind="music",
        variant="music",
        status="completed",
        music=ObjectRef(key="proxies/a1/music.m4a", sha256=SHA, size=50),
    )
    proxies = fold(stamped([requested("a1", "music"), song]))
    assert list(proxies) == ["music"]
    assert (proxies["music"].status, proxies["music"].key) == ("completed", "proxies/a1/music.m4a")
    assert fold(stamped([requested("a1", "music"), failed("a1", "music")]))["music"].status == (
        "failed"
    )


def test_the_projector_writes_the_rows_and_a_replay_rebuilds_the_same(tmp_path: Path) -> None:
    events = stamped([requested(), requested("v2"), made(), made(recipe=2), failed("v2")])
    assert keys_of(events)[4] == {"v1", "v2"}

    def project(db: Path, batches: list[list[Envelope[Any]]]) -> list[tuple[Any, ...]]:
        engine = make_engine(f"sqlite:///{db}")
        Base.metadata.create_all(engine)
        for batch in batches:
            with engine.begin() as conn:
                loaded = load_batch(conn, *keys_of(batch))
                after, changed = fold_batch(loaded, batch)
                save_batch(conn, loaded, after, changed)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT asset_id, variant, status, key, recipe, error FROM media_proxies "
                "ORDER BY asset_id, variant"
            )
            return [tuple(r) for r in rows]

    live = project(tmp_path / "live.db", [[e] for e in events])
    assert live == [
        ("v1", "320x180", "completed", "proxies/v1/320x180.mp4", 2, None),
        ("v2", "320x180", "failed", None, None, "no video stream"),
    ]
    assert project(tmp_path / "replay.db", [events]) == live
    assert fold_batch(BatchState(), events)[0].proxies["v1"]["320x180"].recipe == 2
