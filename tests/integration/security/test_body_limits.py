"""Request bodies against the real API: an anonymous upload is refused before the server
reads or writes a byte of it, and a body over its cap is refused as it streams in, chunked
or not, with nothing left on disk."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api_stack import Stack, sign_up

UPLOAD_CAP = 1024 * 1024  # 1 MiB for this module's API
JSON_CAP = 4096


@pytest.fixture(scope="module")
def stack_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The module's stack with small caps, so an over-cap body is quick to send."""
    return {
        **stack_env,
        "BEATSTITCH_UPLOAD_MAX_BYTES": str(UPLOAD_CAP),
        "BEATSTITCH_JSON_MAX_BYTES": str(JSON_CAP),
    }


@dataclass
class Answer:
    """What a client that reads while it sends saw: the response and how much it sent."""

    status: int
    headers: dict[str, str]
    body: Any
    sent: int


async def post_chunked(
    url: str, path: str, headers: dict[str, str], head: bytes, total: int
) -> Answer:
    """POST `head` then zeros up to `total` bytes, chunked, reading the answer meanwhile.

    As curl or a browser does: a server that answers before the body is in stops the send
    (httpx writes the whole body before it reads, and would only see a broken pipe)."""
    parsed = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    lines = [f"POST {path} HTTP/1.1", f"Host: {parsed.host}", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = asyncio.create_task(_read_answer(reader))
    sent = 0
    chunk = b"\0" * (64 * 1024)
    try:
        for piece in itertools.chain([head], itertools.repeat(chunk)):
            if answer.done() or sent >= total:
                break
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            await writer.drain()
            sent += len(piece)
    except ConnectionError:
        pass  # the server closed the connection after its answer
    status, got_headers, body = await asyncio.wait_for(answer, 60)
    writer.close()
    return Answer(status, got_headers, json.loads(body), sent)


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status_line = await reader.readline()
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def leftovers(root: Path) -> list[Path]:
    """Files under the API's media folder (uploads and their `.incoming-*` spools)."""
    return [p for p in (root / "media").rglob("*") if p.is_file()]


async def test_an_anonymous_chunked_2_gb_upload_is_refused_before_it_is_read(stack: Stack) -> None:
    answer = await post_chunked(
        stack.url,
        f"/api/v1/projects/p-{uuid.uuid4().hex[:8]}/media",
        {"Content-Type": "multipart/form-data; boundary=x"},
        b"--x\r\n",
        2 * 1024**3,
    )
    # What the client sees: 401 with the sentence, long before 2 GB could have been sent.
    assert answer.status == 401, answer.body
    assert "bearer token is required" in answer.body["detail"]
    assert answer.sent < 64 * 1024 * 1024
    assert answer.headers["x-trace-id"]  # refused inside the tracing layer: logged and counted
    assert leftovers(stack.root) == []


async def test_a_chunked_upload_over_the_cap_is_cut_off_with_413(stack: Stack) -> None:
    account = await sign_up(stack, f"big-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as client:
        project = await client.post("/api/v1/projects", json={"name": "big"})
        assert project.status_code == 201, project.text
        pid = project.json()["id"]
    head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; '
        b'filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    )
    answer = await post_chunked(
        stack.url,
        f"/api/v1/projects/{pid}/media",
        {
            "Content-Type": "multipart/form-data; boundary=b0undary",
            "Authorization": f"Bearer {account.token}",
        },
        head,
        200 * 1024 * 1024,
    )
    assert answer.status == 413, answer.body
    assert answer.body["detail"]["message"] == "The upload is over the 1 MiB limit."
    assert answer.sent < 100 * 1024 * 1024  # stopped long before the 200 MB
    async with stack.client(account.token) as client:
        media = await client.get(f"/api/v1/projects/{pid}/media")
    assert media.status_code == 200 and media.json() == []
    assert leftovers(stack.root) == []


async def test_a_json_body_over_its_cap_is_413_before_it_is_parsed(stack: Stack) -> None:
    account = await sign_up(stack, f"json-{uuid.uuid4().hex[:8]}@example.com")
    async with stack.client(account.token) as client:
        huge = {"name": "x", "settings": {"pad": "y" * (2 * JSON_CAP)}}
        answer = await client.post("/api/v1/projects", json=huge)
    assert answer.status_code == 413, answer.text
    assert answer.json()["detail"]["message"] == "The request body is over the 4 KiB limit."
