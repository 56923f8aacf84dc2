"""The music track: straight encodes and encodes spliced onto an upload-time proxy."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from engine import music
from engine.clip_cache import audio_key
from engine.errors import EngineError
from engine.music import AUDIO_RATE, FADE_OUT_MS, encode_audio, make_music_proxy, splice_point
from engine.sample_media import write_tone
from engine.sample_music import TrackSpec, write_track

TOTAL_MS = 9_000  # the timeline: shorter than the ~9.8 s song, so it is trimmed
Samples = npt.NDArray[np.float32]


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Drums, bass and chords at 123 BPM, 5 bars (about 9.8 s)."""
    folder = tmp_path_factory.mktemp("music")
    return write_track("song", TrackSpec(bpm=123, bars=5, sample_rate=44_100), folder).path


@pytest.fixture(scope="module")
def proxy(song: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_music_proxy(song, tmp_path_factory.mktemp("proxy") / "song.m4a")


def decode(path: Path) -> tuple[Samples, float]:
    """Planar float samples and the stream's duration in seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        samples = np.concatenate([f.to_ndarray() for f in container.decode(stream)], axis=1)
        return samples, float(stream.duration * stream.time_base)


def packets(path: Path) -> dict[int, bytes]:
    with av.open(str(path)) as container:
        return {p.pts: bytes(p) for p in container.demux(audio=0) if p.size and p.pts is not None}


def faded_source(song: Path) -> Samples:
    """What the track should sound like: the song at 48 kHz, faded out at TOTAL_MS."""
    total = TOTAL_MS * AUDIO_RATE // 1000
    source = np.concatenate(list(music._music_samples(song, total)), axis=1)
    fade = FADE_OUT_MS * AUDIO_RATE // 1000
    return source * np.clip((total - np.arange(total)) / fade, 0.0, 1.0)


def rms(x: Samples) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def test_music_proxy_is_the_whole_song_as_aac(song: Path, proxy: Path) -> None:
    samples, seconds = decode(proxy)
    with av.open(str(song)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        song_s = float(stream.duration * stream.time_base)
    assert seconds == pytest.approx(song_s, abs=0.001)
    assert samples.shape[0] == 2


def test_encode_with_a_proxy_copies_its_packets_and_reencodes_only_the_fade(
    song: Path, proxy: Path, tmp_path: Path
) -> None:
    """The listener hears the same track; only the last ~0.6 s was encoded again."""
    straight = encode_audio(song, TOTAL_MS, tmp_path / "straight.m4a")
    spliced = encode_audio(song, TOTAL_MS, tmp_path / "spliced.m4a", proxy)
    splice = splice_point(TOTAL_MS)
    assert TOTAL_MS * AUDIO_RATE // 1000 - splice < 0.6 * AUDIO_RATE

    copied, own = packets(proxy), packets(spliced)
    assert all(own[pts] == copied[pts] for pts in own if pts < splice)
    assert any(own[pts] != copied.get(pts) for pts in own if pts >= splice)

    want = faded_source(song)
    (a, a_s), (b, b_s) = decode(straight), decode(spliced)
    assert a.shape == b.shape and a_s == b_s == TOTAL_MS / 1000
    # Around the splice and over the fade, the spliced track is as close to the source
    # as a straight encode (coding noise), and no louder at the join.
    for window in (slice(splice - 4096, splice + 4096), slice(splice, want.shape[1])):
        straight_err, spliced_err = (
            rms(a[:, window] - want[:, window]),
            rms(b[:, window] - want[:, window]),
        )
        assert spliced_err <= 1.15 * straight_err + 1e-4
    assert rms(b[:, want.shape[1] - 480 : want.shape[1]]) < 1e-3  # faded out


def test_a_file_that_is_not_a_music_proxy_is_passed_over(song: Path, tmp_path: Path) -> None:
    """An .m4a of another recipe (here a faded render track) gives a full encode instead."""
    other = encode_audio(song, TOTAL_MS, tmp_path / "other.m4a")
    straight = encode_audio(song, TOTAL_MS, tmp_path / "straight.m4a")
    result = encode_audio(song, TOTAL_MS, tmp_path / "result.m4a", other)
    assert np.array_equal(decode(result)[0], decode(straight)[0])


def test_a_proxy_shorter_than_the_timeline_is_passed_over(song: Path, tmp_path: Path) -> None:
    short_song = write_tone(tmp_path / "short.wav", 3.0)
    short_proxy = make_music_proxy(short_song, tmp_path / "short.m4a")
    straight = encode_audio(song, TOTAL_MS, tmp_path / "straight.m4a")
    result = encode_audio(song, TOTAL_MS, tmp_path / "result.m4a", short_proxy)
    assert np.array_equal(decode(result)[0], decode(straight)[0])


def test_missing_music_is_not_found_even_with_a_proxy(proxy: Path, tmp_path: Path) -> None:
    with pytest.raises(EngineError) as err:
        encode_audio(tmp_path / "gone.wav", TOTAL_MS, tmp_path / "out.m4a", proxy)
    assert err.value.reason == "not_found"
    assert "gone.wav: music file not found" in str(err.value)
    assert not (tmp_path / "out.m4a").exists()


def test_audio_cache_key_names_the_proxy_and_is_unchanged_without_one(proxy: Path) -> None:
    plain = audio_key("abc", TOTAL_MS)
    assert audio_key("abc", TOTAL_MS, None) == plain
    assert audio_key("abc", TOTAL_MS, str(proxy)) != plain
    assert audio_key("abc", TOTAL_MS, str(proxy.with_name("missing.m4a"))) == plain


def test_a_corrupt_song_gets_a_decode_error_and_no_proxy(tmp_path: Path) -> None:
    """An upload that is not music: the user reads why, and no half-written proxy is left."""
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really" * 50)
    out = tmp_path / "bad.m4a"
    with pytest.raises(EngineError) as err:
        make_music_proxy(bad, out)
    assert err.value.reason == "decode_error"
    assert "bad.wav" in str(err.value)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]
