"""FFmpeg opens user media as media only: a playlist or concat script that names other
files or addresses is refused before anything it names is read."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from engine.errors import EngineError, MediaProbeError
from engine.formats import refused_demuxer
from engine.probe import probe
from engine.sample_media import write_clip, write_still
from engine.sources import open_source


@pytest.fixture
def listener() -> socket.socket:
    """A TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    return server


def connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
        return True
    except TimeoutError:
        return False


def playlists(tmp_path: Path, port: int) -> list[Path]:
    """A local HLS playlist and a concat script, each naming a secret file and a port."""
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    hls = tmp_path / "clip.mp4"  # the name says video; the content is a playlist
    hls.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n"
        f"file://{secret}\n#EXTINF:1,\nhttp://127.0.0.1:{port}/x.ts\n#EXT-X-ENDLIST\n"
    )
    concat = tmp_path / "clip.mkv"
    concat.write_text(f"ffconcat version 1.0\nfile '{secret}'\nfile 'tcp://127.0.0.1:{port}'\n")
    return [hls, concat]


def test_a_local_playlist_is_refused_by_the_renderer_without_reaching_what_it_names(
    tmp_path: Path, listener: socket.socket
) -> None:
    for path in playlists(tmp_path, listener.getsockname()[1]):
        with pytest.raises(EngineError) as info:
            open_source(str(path)).close()
        # What the clip task's event says: a decode error naming the file, not its content.
        assert info.value.reason == "decode_error", info.value.message
        assert path.name in info.value.message and "hunter2" not in info.value.message
        assert not connected(listener)


def test_a_local_playlist_is_refused_by_the_upload_probe(
    tmp_path: Path, listener: socket.socket
) -> None:
    for path in playlists(tmp_path, listener.getsockname()[1]):
        with pytest.raises(MediaProbeError) as info:
            probe(path)
        # The upload is refused (415/422 in the API); FFmpeg's concat demuxer already refuses
        # unsafe file names itself, which reads as "permission denied".
        assert info.value.reason in ("decode_error", "invalid_input")
        assert "hunter2" not in str(info.value)
        assert not connected(listener)


def test_plain_media_still_opens(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", 160, 120, 12, 0.5, 0)
    still = write_still(tmp_path / "s.jpg", 160, 120, 0)
    for path in (clip, still):
        with open_source(str(path)) as container:
            assert refused_demuxer(path.name, container.format.name, remote=False) is None
        assert probe(path).kind in ("video", "image")


def test_only_media_demuxers_are_allowed_and_hls_only_from_a_remote_source() -> None:
    assert refused_demuxer("a.mp4", "mov,mp4,m4a,3gp,3g2,mj2", remote=False) is None
    assert refused_demuxer("a.m3u8", "hls", remote=True) is None
    said = refused_demuxer("a.m3u8", "hls", remote=False)
    assert said is not None and said.startswith("a.m3u8: a hls file is not")
    assert refused_demuxer("a.txt", "concat", remote=True) is not None
