"""Request bodies are judged before they are read: the ASGI layer alone, driven by hand."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import FastAPI, File, UploadFile

from api.body_limits import MULTIPART_SLACK, BodyLimits, Caps

CAPS = Caps(upload_bytes=4096, json_bytes=2048)  # 4 KiB and 2 KiB
UPLOAD = "/api/v1/projects/p1/media"


class Echo:
    """An app that reads the whole body and answers its length; counts what it was given."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = json.dumps({"read": size}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


async def allow_token(header: str | None) -> bool:
    return header == "Bearer good"


async def call(
    app: Any,
    path: str,
    chunks: list[bytes],
    *,
    length: int | None = None,
    token: str | None = "good",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, dict[str, Any], int]:
    """Send a POST in `chunks` (chunked unless `length`); (status, JSON body, chunks read)."""
    sent_headers = list(headers or [])
    if length is not None:
        sent_headers.append((b"content-length", str(length).encode()))
    if token is not None:
        sent_headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": sent_headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    pending = list(chunks)
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await BodyLimits(app, CAPS, allow_token)(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), read


async def test_a_declared_length_over_the_cap_is_refused_unread() -> None:
    app = Echo()
    status, body, read = await call(app, "/api/v1/projects", [b"x" * 10], length=2049)
    # What the client sees: 413 and the limit in words; the app never ran.
    assert status == 413 and body["detail"]["reason"] == "too_large"
    assert body["detail"]["message"] == "The request body is over the 2 KiB limit."
    assert (app.calls, read) == (0, 0)


async def test_a_chunked_body_is_cut_off_once_it_passes_the_cap() -> None:
    app = Echo()
    chunks = [b"x" * 1000] * 50  # 50 KB, no Content-Length
    status, body, read = await call(app, "/api/v1/projects", chunks)
    assert status == 413 and "over the 2 KiB limit" in body["detail"]["message"]
    assert read == 3  # 3,000 bytes: stopped at the first chunk past the cap


async def test_an_upload_without_a_valid_token_is_refused_before_a_byte_is_read() -> None:
    app = Echo()
    for token in (None, "stolen"):
        status, body, read = await call(app, UPLOAD, [b"x" * 500] * 4, token=token)
        assert status == 401 and "bearer token is required" in body["detail"]
        assert (app.calls, read) == (0, 0)


async def test_uploads_get_the_upload_cap_and_bodies_within_their_cap_pass() -> None:
    app = Echo()
    status, body, _ = await call(app, UPLOAD, [b"x" * 4000] * 2)  # over the JSON cap: fine
    assert (status, body) == (200, {"read": 8000})
    over = 4096 + MULTIPART_SLACK + 1
    status, body, _ = await call(app, UPLOAD, [b"x" * 500], length=over)
    assert status == 413 and body["detail"]["message"] == "The upload is over the 4 KiB limit."
    status, _, _ = await call(app, UPLOAD, [b"x" * over])
    assert status == 413
    status, body, _ = await call(app, "/api/v1/projects", [b"{}"], length=2)
    assert (status, body) == (200, {"read": 2})


async def test_fastapis_own_answer_to_a_cut_body_becomes_the_413() -> None:
    """FastAPI turns any error while parsing a form into a 400; the client must see 413."""
    api = FastAPI()

    @api.post("/api/v1/projects/{pid}/media")
    async def upload(pid: str, file: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"size": len(await file.read())}

    boundary = b"b0undary"
    disposition = b'Content-Disposition: form-data; name="file"; filename="a"'
    head = b"--" + boundary + b"\r\n" + disposition + b"\r\n\r\n"
    chunks = [head] + [b"x" * 4096] * 40  # about 160 KB of file, well over 4 KiB + slack
    form = [(b"content-type", b"multipart/form-data; boundary=" + boundary)]
    status, body, _ = await call(api, UPLOAD, chunks, headers=form)
    assert status == 413 and body["detail"]["reason"] == "too_large"
