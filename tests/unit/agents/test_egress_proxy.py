"""The egress proxy carries only vetted requests, to the address it vetted (real sockets on
loopback; no worker)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agents.egress_proxy import EgressProxy, RequestRefused, target_of
from agents.source_guard import system_resolve
from tests.support.listener import SilentPort


def test_requests_a_media_source_needs_are_understood() -> None:
    assert target_of("GET http://cdn.example/v.mp4?x=1 HTTP/1.1") == (
        "GET",
        "cdn.example",
        80,
        "GET /v.mp4?x=1 HTTP/1.1",
    )
    assert target_of("CONNECT cdn.example:443 HTTP/1.1")[:3] == ("CONNECT", "cdn.example", 443)


@pytest.mark.parametrize(
    ("line", "status", "says"),
    [
        ("CONNECT 10.0.0.1:22 HTTP/1.1", 403, "port 443 only"),
        ("POST http://cdn.example/ HTTP/1.1", 405, "not a request a media source needs"),
        ("GET ftp://cdn.example/x HTTP/1.1", 403, "only http:// URLs"),
        ("GET /relative HTTP/1.1", 403, "only http:// URLs"),
        ("nonsense", 400, "not an HTTP/1 request line"),
    ],
)
def test_other_requests_are_refused_with_a_reason(line: str, status: int, says: str) -> None:
    with pytest.raises(RequestRefused, match=says) as refused:
        target_of(line)
    assert refused.value.status == status


class _Origin(BaseHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = f"origin saw {self.path} host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def origin() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def through(proxy: EgressProxy, request: bytes) -> bytes:
    port = int(proxy.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while piece := sock.recv(65536):
            answer += piece
    return answer


def test_an_allowed_host_is_reached_and_a_loopback_one_is_not_even_connected_to(
    silent_port: SilentPort,
) -> None:
    closed_port = silent_port.port
    with origin() as port:
        proxy = EgressProxy({f"127.0.0.1:{port}"}, system_resolve).start()
        try:
            ok = through(
                proxy,
                f"GET http://127.0.0.1:{port}/ok/v.mp4 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Proxy-Connection: close\r\nConnection: close\r\n\r\n".encode(),
            )
            refused = through(
                proxy,
                f"GET http://127.0.0.1:{closed_port}/secret HTTP/1.1\r\n\r\n".encode(),
            )
            metadata = through(proxy, b"CONNECT 169.254.169.254:443 HTTP/1.1\r\n\r\n")
        finally:
            proxy.stop()
    assert ok.startswith(b"HTTP/1.0 200") or ok.startswith(b"HTTP/1.1 200"), ok
    assert ok.endswith(f"origin saw /ok/v.mp4 host=127.0.0.1:{port}".encode())
    # What FFmpeg sees for a hop it may not take: 403 with the sentence.
    assert refused.startswith(b"HTTP/1.1 403 Forbidden")
    assert b"loopback, link-local or private address" in refused
    assert metadata.startswith(b"HTTP/1.1 403 Forbidden")
    assert not silent_port.was_connected()
