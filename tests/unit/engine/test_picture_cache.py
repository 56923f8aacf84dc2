"""Stills are decoded once per process: the cache's bounds and what it keys on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine import decoding
from engine.clip import render_clip
from engine.edl import Effects, KenBurns
from engine.picture_cache import PictureCache, file_identity
from tests.support.clip_inputs import ENC, segment
from tests.support.media_gen import decode_frames, image_asset, solid_picture, write_still


def test_least_recently_used_values_go_first_within_the_budget() -> None:
    made: list[str] = []

    def maker(key: str, size: int) -> Callable[[], bytes]:
        def make() -> bytes:
            made.append(key)
            return bytes(size)

        return make

    cache: PictureCache[bytes] = PictureCache(len, budget_bytes=10)
    cache.get_or_make("a", maker("a", 4))
    cache.get_or_make("b", maker("b", 4))
    cache.get_or_make("a", maker("a", 4))  # a hit: "a" is now the newest
    cache.get_or_make("c", maker("c", 4))  # over 10 bytes: "b", the oldest, goes
    assert made == ["a", "b", "c"] and cache.hits == 1 and cache.used == 8
    cache.get_or_make("b", maker("b", 4))
    assert made[-1] == "b" and len(cache) == 2
    cache.get_or_make("huge", maker("huge", 11))  # larger than the budget: made, not kept
    assert len(cache) == 2 and cache.used == 8


def test_a_file_is_identified_by_its_content_and_a_url_is_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    path.write_bytes(b"one")
    before = file_identity(str(path))
    assert before is not None and file_identity(str(path)) == before
    path.write_bytes(b"three")
    os.utime(path, ns=(1, 1))
    assert file_identity(str(path)) != before
    assert file_identity("https://cdn.example/p.png") is None


def test_a_still_used_twice_is_decoded_once_and_renders_the_same(tmp_path: Path) -> None:
    path = write_still(tmp_path / "p.png", solid_picture(400, 300, (200, 40, 40)))
    asset = image_asset(path, "a", 400, 300)
    kb = KenBurns(start_zoom=1.0, end_zoom=1.3, start_x=0.4, start_y=0.5, end_x=0.6, end_y=0.5)
    seg = segment(media_type="image", effects=Effects(ken_burns=kb))
    first = render_clip(seg, asset, tmp_path / "one.mp4", ENC)
    hits = decoding._stills.hits
    second = render_clip(seg, asset, tmp_path / "two.mp4", ENC)
    assert first.decoded_frames == 1 and second.decoded_frames == 0
    assert decoding._stills.hits == hits + 1
    assert np.array_equal(decode_frames(first.path)[5], decode_frames(second.path)[5])
    # Another zoom scales the same decoded picture differently: still no decode.
    closer = kb.model_copy(update={"end_zoom": 1.8})
    other = segment(media_type="image", effects=Effects(ken_burns=closer))
    assert render_clip(other, asset, tmp_path / "closer.mp4", ENC).decoded_frames == 0

    # The user replaces the photo under the same name: the new one is shown.
    write_still(path, solid_picture(400, 300, (40, 40, 200)))
    os.utime(path, ns=(10**9, 10**9))
    third = render_clip(seg, asset, tmp_path / "three.mp4", ENC)
    assert third.decoded_frames == 1
    red, _, blue = decode_frames(third.path)[5].mean(axis=(0, 1))
    assert blue > 150 > red


def test_a_forked_process_starts_with_an_empty_cache() -> None:
    cache: PictureCache[bytes] = PictureCache(len)
    cache.get_or_make("kept", lambda: b"parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports what it sees, then leaves without pytest's clean-up
        os.write(write, str(len(cache)).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"0" and len(cache) == 1
