"""The part every provider imitation shares: a threaded HTTP server on 127.0.0.1 that records
each request, a task that moves one stage per status poll, switches for each failure, and the
output served from /files/ on the same server.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

API_KEY = "sk-imitation-7f3c9d2e4b1a"  # the one key the imitations accept
NOT_A_VIDEO = b"<!doctype html><html><body>Access denied</body></html>"


@dataclass
class Faults:
    """How the imitation misbehaves; all off by default (a happy provider)."""

    rate_limit_once: bool = False  # the first create answers 429 with Retry-After: 1
    server_errors: int = 0  # the first N creates answer 500; -1: every one does
    reject: str = ""  # the create answers 400 with this message, in the provider's shape
    stall: bool = False  # the task stays at its first running stage forever
    task_failure: str = ""  # the task ends failed with this reason after one running stage
    output_missing: bool = False  # the output URL answers 404
    output_not_video: bool = False  # the output URL serves an HTML page


@dataclass(frozen=True)
class Seen:
    """One request the imitation got."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str | bytes]:
        """The multipart/form-data body as {field: text, or bytes for a file}."""
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        fields: dict[str, str | bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = bytes(part.get_payload(decode=True))
            fields[str(name)] = payload if part.get_filename() else payload.decode()
        return fields


@dataclass(frozen=True)
class Reply:
    """What the imitation answers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def json(status: int, payload: object, **headers: str) -> Reply:
        """A JSON answer."""
        return Reply(
            status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers}
        )


@dataclass(frozen=True)
class Stage:
    """Where a task is after some polls: waiting, running (with a share), done or failed."""

    name: str  # "waiting", "running", "succeeded", "failed"
    share: float = 0.0
    reason: str = ""


class Imitation:
    """One provider's API: subclasses say how it authenticates, routes and phrases answers."""

    def __init__(self, clip: Path) -> None:
        self.clip = clip
        self.faults = Faults()
        self.requests: list[Seen] = []
        self.url = ""  # set when the server starts
        self._creates = 0
        self._polls: dict[str, int] = {}
        self._lock = threading.Lock()

    # --- what subclasses define ---
    def authorized(self, seen: Seen) -> bool:
        """Whether the request carries the key the way the provider wants it."""
        raise NotImplementedError

    def is_create(self, seen: Seen) -> bool:
        """Whether the request starts a task (where the create faults apply)."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> Reply:
        """An error answer in the provider's documented shape."""
        raise NotImplementedError

    def route(self, seen: Seen) -> Reply:
        """Answer an authorized API request."""
        raise NotImplementedError

    # --- shared behaviour ---
    def answer(self, seen: Seen) -> Reply:
        """Record the request and answer it, faults first."""
        with self._lock:
            self.requests.append(seen)
        if seen.path.startswith("/files/"):
            return self.output()
        if not self.authorized(seen):
            return self.error(401, "Invalid API key")
        if self.is_create(seen):
            failure = self._create_fault()
            if failure is not None:
                return failure
        return self.route(seen)

    def _create_fault(self) -> Reply | None:
        with self._lock:
            self._creates += 1
            number = self._creates
        if self.faults.rate_limit_once and number == 1:
            reply = self.error(429, "Too many requests")
            return Reply(reply.status, reply.body, {**reply.headers, "Retry-After": "1"})
        if self.faults.server_errors < 0 or number <= self.faults.server_errors:
            return self.error(500, "Internal server error")
        if self.faults.reject:
            return self.error(400, self.faults.reject)
        return None

    def output(self) -> Reply:
        """The clip, or the fault the switches put in its place."""
        if self.faults.output_missing:
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        if self.faults.output_not_video:
            return Reply(200, NOT_A_VIDEO, {"Content-Type": "video/mp4"})
        return Reply(200, self.clip.read_bytes(), {"Content-Type": "video/mp4"})

    def new_task(self, prefix: str = "") -> str:
        """A new task's id, after `prefix` in the provider's style."""
        task_id = f"{prefix}{uuid.uuid4().hex if prefix else uuid.uuid4()}"
        with self._lock:
            self._polls[task_id] = 0
        return task_id

    def known(self, task_id: str) -> bool:
        """Whether the imitation made this task."""
        return task_id in self._polls

    def poll(self, task_id: str) -> Stage:
        """The task's stage at this poll: waiting, running 40 %, running 80 %, then done."""
        with self._lock:
            count = self._polls[task_id]
            self._polls[task_id] = count + 1
        if count == 0:
            return Stage("waiting")
        if self.faults.stall or count == 1:
            return Stage("running", 0.4)
        if self.faults.task_failure:
            return Stage("failed", reason=self.faults.task_failure)
        if count == 2:
            return Stage("running", 0.8)
        return Stage("succeeded", 1.0)

    def output_url(self, task_id: str) -> str:
        """Where the task's clip is served."""
        return f"{self.url}/files/{task_id}.mp4"

    def seen(self, method: str, prefix: str) -> list[Seen]:
        """The recorded requests of this method whose path starts with `prefix`."""
        return [s for s in self.requests if s.method == method and s.path.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:  # keep test output quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.imitation.answer(Seen(self.command, self.path, headers, body))
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_DELETE = _serve  # noqa: N815 (the stdlib's names)


@contextlib.contextmanager
def serving(imitation: Imitation) -> Iterator[Imitation]:
    """Run the imitation on 127.0.0.1 at a free port for the block; its url is then set."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.imitation = imitation  # type: ignore[attr-defined]
    imitation.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits for one, and every test stops a server.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield imitation
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
