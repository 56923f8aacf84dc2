"""A local HTTP media server that misbehaves on purpose, by path prefix:

/ok/<file>        the file (HLS playlists and segments, or MP4), with Range support
/error500/<file>  HTTP 500 every time
/stall/<file>     accepts the request and never answers
/truncated/<file> the first 40 % of the file, as if the upload had been cut off
/redirect/<port>/<path>  302 to http://127.0.0.1:<port>/<path> (a hop to another address)
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Hits(Counter[str]):
    """Requests per mode, and a way to wait (in a thread) for the first of a mode."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def _event(self, mode: str) -> threading.Event:
        with self._lock:
            return self._seen.setdefault(mode, threading.Event())

    def hit(self, mode: str) -> None:
        """Count a request and wake whoever waits for this mode."""
        self[mode] += 1
        self._event(mode).set()

    def wait(self, mode: str, timeout_s: float) -> bool:
        """Block until a request of this mode has arrived (True) or the timeout (False)."""
        return self._event(mode).wait(timeout_s)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *_: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        mode, _, rel = self.path.lstrip("/").partition("/")
        self.server.hits.hit(mode)
        if mode == "error500":
            self.send_error(500, "origin exploded")
            return
        if mode == "redirect":
            port, _, target = rel.partition("/")
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{int(port)}/{target}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "stall":
            self.server.stop.wait(30)
            return
        path = self.server.root / rel.split("?")[0]
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        if mode == "truncated":
            data = data[: len(data) * 2 // 5]
        start, end = 0, len(data) - 1
        header = self.headers.get("Range")
        if header and header.startswith("bytes="):
            first, _, last = header[6:].partition("-")
            start = int(first or 0)
            end = int(last) if last else end
        body = data[start : end + 1]
        self.send_response(206 if header else 200)
        if header:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@contextlib.contextmanager
def media_server(root: Path) -> Iterator[tuple[str, Hits]]:
    """Serve `root` on a free loopback port; yield the base URL and the hit counts per mode."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.root = root  # type: ignore[attr-defined]
    server.hits = Hits()  # type: ignore[attr-defined]
    server.stop = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.hits  # type: ignore[attr-defined]
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


def write_hls(source: Path, directory: Path) -> Path:
    """Remux an MP4 into an HLS playlist with MPEG-TS segments; return the playlist."""
    import av

    directory.mkdir(parents=True, exist_ok=True)
    playlist = directory / "index.m3u8"
    options = {
        "hls_time": "1",
        "hls_playlist_type": "vod",
        "hls_segment_filename": str(directory / "seg%03d.ts"),
    }
    with (
        av.open(str(source)) as inp,
        av.open(str(playlist), "w", format="hls", options=options) as out,
    ):
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return playlist
