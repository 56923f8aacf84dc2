"""Opening sources: missing and corrupt files and remote failures become typed reasons."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine.clip import render_clip
from engine.errors import EngineError
from engine.media import MediaAsset
from engine.sources import Timeouts
from tests.support import clip_inputs
from tests.support.clip_inputs import ENC, FPS, segment
from tests.support.media_gen import decode_frames, read_counter, video_asset


@pytest.fixture(scope="module")
def counter_video(tmp_path_factory: pytest.TempPathFactory) -> MediaAsset:
    """The counter video, written once for this module."""
    return clip_inputs.counter_video(tmp_path_factory.mktemp("src"))


def test_missing_source_is_not_found(tmp_path: Path) -> None:
    # What the user sees: the segment falls back and the job says "gone.mp4: file not found".
    asset = video_asset(tmp_path / "gone.mp4", "a", frames=48, fps=FPS)
    with pytest.raises(EngineError) as info:
        render_clip(segment(), asset, tmp_path / "c.mp4", ENC)
    assert info.value.reason == "not_found"
    assert "gone.mp4" in str(info.value)
    assert not (tmp_path / "c.mp4").exists()


@pytest.mark.parametrize("content", [b"not a video at all" * 100, b""])
def test_corrupt_source_is_a_decode_error(tmp_path: Path, content: bytes) -> None:
    # What the user sees: "broken.mp4: not a readable picture or video (...)".
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    asset = video_asset(path, "a", frames=48, fps=FPS)
    with pytest.raises(EngineError) as info:
        render_clip(segment(), asset, tmp_path / "c.mp4", ENC)
    assert info.value.reason == "decode_error"
    assert "broken.mp4" in str(info.value)


# --- remote sources -----------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    body: bytes = b""
    release = threading.Event()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/error"):
            self.send_error(500)
        elif self.path.startswith("/stall"):
            self.release.wait(10)  # say nothing, like a hung CDN edge
        elif self.path.startswith("/good"):
            self._send_range(self.body)
        else:
            self.send_error(404)

    def _send_range(self, body: bytes) -> None:
        # FFmpeg seeks with Range requests.
        start, end = 0, len(body) - 1
        header = self.headers.get("Range")
        if header and header.startswith("bytes="):
            first, _, last = header[6:].partition("-")
            start = int(first or 0)
            end = int(last) if last else end
        self.send_response(206 if header else 200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if header:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
        self.end_headers()
        self.wfile.write(body[start : end + 1])


@pytest.fixture(scope="module")
def server(counter_video: MediaAsset) -> Iterator[str]:
    _Handler.body = Path(counter_video.path).read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Handler.release.set()
    httpd.shutdown()
    httpd.server_close()


def test_remote_video_renders_like_a_local_one(
    server: str, counter_video: MediaAsset, tmp_path: Path
) -> None:
    seg = segment(source_in=2000)
    result = render_clip(seg, counter_video, tmp_path / "c.mp4", ENC, source=f"{server}/good.mp4")
    frames = decode_frames(result.path)
    assert [read_counter(f) for f in frames] == list(range(48, 72))


@pytest.mark.parametrize(
    ("path", "reason"), [("/error.mp4", "cdn_error"), ("/missing.mp4", "not_found")]
)
def test_remote_http_errors_map_to_reasons(
    server: str, counter_video: MediaAsset, tmp_path: Path, path: str, reason: str
) -> None:
    with pytest.raises(EngineError) as info:
        render_clip(segment(), counter_video, tmp_path / "c.mp4", ENC, source=server + path)
    assert info.value.reason == reason


def test_stalled_remote_times_out_within_the_timeout(
    server: str, counter_video: MediaAsset, tmp_path: Path
) -> None:
    began = time.monotonic()
    with pytest.raises(EngineError) as info:
        render_clip(
            segment(),
            counter_video,
            tmp_path / "c.mp4",
            ENC,
            source=f"{server}/stall.mp4?sig=secret",
            timeouts=Timeouts(connect_s=1.0, read_s=1.0),
        )
    assert info.value.reason == "timeout"
    assert time.monotonic() - began < 5
    assert "secret" not in str(info.value)  # signed URLs are not echoed
