"""The worker's one way out to remote sources: a local HTTP proxy that vets every hop.

A source URL is vetted before it is opened (agents/source_guard.py), but FFmpeg then makes
requests of its own: it follows HTTP redirects, and an HLS playlist names other addresses
(variant playlists, segments, keys). The worker points FFmpeg at this proxy (`http_proxy`,
which FFmpeg's http and tls protocols and every nested open honour), so each of those
requests is vetted like the first: only http(s) ports on public addresses or allowed hosts,
and the connection goes to the address that was vetted, so a second DNS answer cannot lead
elsewhere. A refused request is answered 403 and logged `render_worker.egress_refused`.

Threads, not the event loop: the requests come from pool processes while the worker's loop
may be busy, and each connection is a short blocking copy.
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading
from collections.abc import Collection
from http import HTTPStatus
from urllib.parse import urlsplit

import structlog

from domain.remote_sources import Resolve, host_refusal

log = structlog.get_logger(__name__)

MAX_HEAD_BYTES = 16 * 1024
CONNECT_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 60.0


class RequestRefused(ValueError):
    """A request the proxy will not carry; the message says why (HTTP status first)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def target_of(request_line: str) -> tuple[str, str, int, str]:
    """(method, host, port, what to send upstream) of a proxy request line.

    CONNECT host:port tunnels (https); GET/HEAD http://host[:port]/path is sent on as
    `GET /path`. Anything else is refused."""
    parts = request_line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise RequestRefused(400, "not an HTTP/1 request line")
    method, target, version = parts
    if method == "CONNECT":
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit():
            raise RequestRefused(400, f"CONNECT needs host:port, not {target}")
        if int(port) != 443:
            raise RequestRefused(403, f"source_refused: tunnels go to port 443 only, not {port}")
        return method, host, 443, ""
    if method not in ("GET", "HEAD"):
        raise RequestRefused(405, f"{method} is not a request a media source needs")
    url = urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        raise RequestRefused(403, f"source_refused: only http:// URLs go through, not {target}")
    path = url.path or "/"
    if url.query:
        path = f"{path}?{url.query}"
    return method, url.hostname, url.port or 80, f"{method} {path} {version}"


class EgressProxy:
    """A threaded HTTP proxy on 127.0.0.1 that carries only vetted requests."""

    def __init__(self, allowed_hosts: Collection[str], resolve: Resolve) -> None:
        self.allowed_hosts = allowed_hosts
        self.resolve = resolve
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy.serve(self.connection)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="egress-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        """What FFmpeg's http_proxy is set to."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> EgressProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (connections in flight end with the process)."""
        self._server.shutdown()
        self._server.server_close()

    def serve(self, client: socket.socket) -> None:
        """Carry one client connection: vet its request, then copy bytes both ways."""
        client.settimeout(IDLE_TIMEOUT_S)
        try:
            head = _read_head(client)
            first, _, rest = head.partition(b"\r\n")
            method, host, port, line = target_of(first.decode("latin-1"))
            upstream = self._connect(host, port)
        except RequestRefused as exc:
            log.warning("render_worker.egress_refused", trace_id=None, reason=str(exc))
            _answer(client, exc.status, str(exc))
            return
        except OSError as exc:
            _answer(client, 502, f"cannot reach the source ({exc})")
            return
        with upstream:
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream.sendall(line.encode("latin-1") + b"\r\n" + _without_proxy_headers(rest))
            _copy_both_ways(client, upstream)

    def _connect(self, host: str, port: int) -> socket.socket:
        refusal, addresses = host_refusal(host, port, self.allowed_hosts, self.resolve)
        if refusal is not None:
            raise RequestRefused(403, refusal)
        last: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_S)
            except OSError as exc:
                last = exc
        raise last or OSError(f"{host} has no address")


def _read_head(client: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = client.recv(4096)
        if not piece:
            raise RequestRefused(400, "the request ended before its head")
        data += piece
        if len(data) > MAX_HEAD_BYTES:
            raise RequestRefused(431, "the request head is too long")
    return data


def _without_proxy_headers(rest: bytes) -> bytes:
    # Proxy-* headers are for us, not for the source.
    lines = rest.split(b"\r\n")
    kept = [ln for ln in lines if not ln.lower().startswith(b"proxy-")]
    return b"\r\n".join(kept)


def _answer(client: socket.socket, status: int, reason: str) -> None:
    body = (reason + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        client.sendall(head.encode() + body)


def _copy_both_ways(a: socket.socket, b: socket.socket) -> None:
    """Copy until either side closes or both are idle for IDLE_TIMEOUT_S."""
    peers = {a: b, b: a}
    while True:
        ready, _, _ = select.select(list(peers), [], [], IDLE_TIMEOUT_S)
        if not ready:
            return
        for sock in ready:
            try:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)
            except OSError:
                return
