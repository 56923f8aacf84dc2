"""Object keys: what a store refuses to name, and the sentence the user reads about it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage.keys import (
    KEY_MAX_LENGTH,
    audio_key,
    beat_grid_key,
    check_key,
    clip_key,
    proxy_key,
    render_key,
    thumbnail_key,
    upload_key,
)
from storage.object_store import KeyRefused, StorageError

SHA = "ab" * 32


@pytest.mark.parametrize(
    "key",
    ["renders/job-1.mp4", "a", "media/p1/a.b_c-d.mp4", "x/" * 255 + "y", "a/.../b"],
)
def test_a_relative_key_of_plain_segments_is_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("../etc/passwd", "has an empty, '.' or '..' segment"),
        ("media/../../etc/passwd", "has an empty, '.' or '..' segment"),
        ("a/./b", "has an empty, '.' or '..' segment"),
        ("a//b", "has an empty, '.' or '..' segment"),
        ("a/", "has an empty, '.' or '..' segment"),
        ("/abs", "starts with '/'; keys are relative"),
        ("a\\b", "holds a backslash"),
        ("a\x00b", "holds a NUL character"),
        ("a b", "holds a character other than letters, digits"),
        ("médias/a", "holds a character other than letters, digits"),
        ("", "may not be empty"),
    ],
)
def test_a_key_that_could_leave_the_store_is_refused_with_the_rule(key: str, says: str) -> None:
    with pytest.raises(KeyRefused) as refused:
        check_key(key)
    assert says in str(refused.value)
    if key:
        assert repr(key) in str(refused.value), "the message names the key"


def test_a_key_over_512_characters_is_refused_with_its_length() -> None:
    key = "a" * (KEY_MAX_LENGTH + 1)
    assert check_key(key[:KEY_MAX_LENGTH]) == key[:KEY_MAX_LENGTH]
    with pytest.raises(KeyRefused) as refused:
        check_key(key)
    assert str(refused.value) == (
        f"the object key {'a' * 40!r}… is 513 characters long; a key has at most 512"
    )


def test_a_refused_key_is_a_storage_error() -> None:
    with pytest.raises(StorageError):
        check_key("/abs")


def test_the_layout_of_our_keys() -> None:
    assert upload_key("p1", "asset-9", ".mp4") == "projects/p1/media/asset-9.mp4"
    assert audio_key("p1", "audio-2", ".flac") == "projects/p1/audio/audio-2.flac"
    assert proxy_key("asset-9", "video") == "proxies/asset-9/video.mp4"
    assert thumbnail_key("p1", "asset-9") == "projects/p1/media/thumbnails/asset-9.jpg"
    assert beat_grid_key("track-3") == "beat-grids/track-3.json"
    assert render_key("job-7") == "renders/job-7.mp4"
    assert clip_key("job-7", 12, SHA) == f"clips/job-7/0012-{SHA}.mp4"


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: upload_key("p/1", "a", ".mp4"), "the project id 'p/1' cannot be part"),
        (lambda: upload_key("..", "a", ".mp4"), "the project id '..' cannot be part"),
        (lambda: upload_key("p", "a", "mp4"), "the extension 'mp4' is not a '.'"),
        (lambda: upload_key("p", "a", ".m/p4"), "the extension '.m/p4' is not a '.'"),
        (lambda: proxy_key("a", "../x"), "the proxy variant '../x' cannot be part"),
        (lambda: thumbnail_key("p", ""), "the asset id '' cannot be part"),
        (lambda: thumbnail_key("p/q", "a"), "the project id 'p/q' cannot be part"),
        (lambda: audio_key("p", "..", ".mp3"), "the audio track id '..' cannot be part"),
        (lambda: audio_key("p", "a", "mp3"), "the extension 'mp3' is not a '.'"),
        (lambda: beat_grid_key("t\\1"), "the audio track id 't\\\\1' cannot be part"),
        (lambda: render_key("."), "the render job id '.' cannot be part"),
        (lambda: clip_key("j", -1, SHA), "the segment index -1 is negative"),
        (lambda: clip_key("j", 1, "ABC"), "the checksum 'ABC' is not 64 lower-case hex"),
    ],
)
def test_an_id_that_would_add_a_folder_is_refused(build: Callable[[], str], says: str) -> None:
    with pytest.raises(KeyRefused) as refused:
        build()
    assert says in str(refused.value)


def test_a_generated_clip_keeps_the_folder_the_worker_writes_it_to() -> None:
    from storage.keys import generated_key

    assert generated_key("proj-1", "gen-1", ".mp4") == "generated/proj-1/gen-1.mp4"
    with pytest.raises(KeyRefused, match="not '.exe'"):
        generated_key("proj-1", "gen-1", ".exe")
