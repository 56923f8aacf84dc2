"""Upload limits against the real API: an anonymous upload is refused before the server
reads or writes a byte of it, a body over its cap is refused as it streams in, chunked or
not, and media bombs and quotas are refused with a sentence; nothing is left on disk."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.sample_media import write_tone
from storage.filesystem import SIDECAR_SUFFIX
from tests.support.api_stack import Stack, sign_up
from tests.support.bombs import flac_claiming, png_claiming
from tests.support.media_gen import square_picture, write_still

UPLOAD_CAP = 1024 * 1024  # 1 MiB for this module's API
# The API process's peak memory through every refusal here (it idles near 200 MB): a photo
# bomb decoded would need 12 GB, a 2 GB body held in memory 2 GB.
API_RSS_BOUND = 512 * 1024 * 1024
JSON_CAP = 4096
AUDIO_CAP_S = 30


@pytest.fixture(scope="module")
def stack_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The module's stack with small caps, so an over-cap body is quick to send."""
    return {
        **stack_env,
        "BEATSTITCH_UPLOAD_MAX_BYTES": str(UPLOAD_CAP),
        "BEATSTITCH_JSON_MAX_BYTES": str(JSON_CAP),
        "BEATSTITCH_MAX_AUDIO_S": str(AUDIO_CAP_S),
        "BEATSTITCH_MAX_UPLOADS_PER_PROJECT": "1",
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
    (httpx writes the whole body before it reads, and would only see a broken pipe). A raw
    socket, because a server that closes on an unread body resets the connection, and an
    asyncio stream transport then drops the answer the kernel already holds."""
    parsed = httpx.URL(url)
    loop = asyncio.get_running_loop()
    sock = socket.create_connection((parsed.host, parsed.port))
    sock.setblocking(False)
    lines = [f"POST {path} HTTP/1.1", f"Host: {parsed.host}", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    answer = asyncio.create_task(_read_answer(loop, sock))
    sent = 0
    chunk = b"\0" * (64 * 1024)
    try:
        await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
        for piece in itertools.chain([head], itertools.repeat(chunk)):
            if answer.done() or sent >= total:
                break
            await loop.sock_sendall(sock, f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sent += len(piece)
    except ConnectionError:
        pass  # the server closed the connection after its answer
    try:
        status, got_headers, body = await asyncio.wait_for(answer, 60)
    finally:
        sock.close()
    return Answer(status, got_headers, json.loads(body), sent)


async def _read_answer(
    loop: asyncio.AbstractEventLoop, sock: socket.socket
) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response with a Content-Length body; a reset after it is fine."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await _receive(loop, sock)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers.get("content-length", "0")):
        body += await _receive(loop, sock)
    return int(status_line.split()[1]), headers, body


async def _receive(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    # Linux hands out what is already received before it reports a reset.
    piece = await loop.sock_recv(sock, 65536)
    if not piece:
        raise ConnectionError("the server closed the connection before its answer was complete")
    return piece


def leftovers(root: Path) -> list[Path]:
    """Files under the API's media folder (uploads and their `.incoming-*` spools), not
    counting the folder store's checksum record beside each stored file."""
    return [
        p
        for p in (root / "media").rglob("*")
        if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
    ]


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
    assert stack.api_peak_rss_bytes() < API_RSS_BOUND


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


async def test_a_photo_bomb_a_too_long_song_and_a_full_project_are_refused_with_a_sentence(
    stack: Stack, tmp_path: Path
) -> None:
    account = await sign_up(stack, f"bombs-{uuid.uuid4().hex[:8]}@example.com")
    bomb = png_claiming(tmp_path / "bomb.png", 64000, 64000)  # a few hundred bytes
    song = write_tone(tmp_path / "long.wav", AUDIO_CAP_S + 15, rate=8000, channels=1)
    photo = write_still(tmp_path / "ok.png", square_picture(64, 48, 16))
    async with stack.client(account.token) as client:
        pid = (await client.post("/api/v1/projects", json={"name": "bombs"})).json()["id"]
        with bomb.open("rb") as f:
            refused = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        # What the user sees: 422, the file, its claimed size and the cap; nothing decoded it.
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == {
            "reason": "image_too_large",
            "message": "bomb.png is 64000x64000 pixels (4,096.0 MP); photos may have at most "
            "50.0 MP.",
        }
        with song.open("rb") as f:
            long = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
        assert long.status_code == 422, long.text
        assert long.json()["detail"]["message"] == (
            "long.wav lasts 45 s; a song may last at most 30 s."
        )
        # A few KB whose header says 20 hours: judged by its header, never decoded.
        with flac_claiming(tmp_path / "twenty-hours.flac", 20 * 3600).open("rb") as f:
            endless = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
        assert endless.status_code == 422, endless.text
        assert endless.json()["detail"]["message"] == (
            "twenty-hours.flac lasts 20 h 00 min; a song may last at most 30 s."
        )
        assert leftovers(stack.root) == []
        with photo.open("rb") as f:
            first = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        assert first.status_code == 201, first.text
        with photo.open("rb") as f:
            second = await client.post(f"/api/v1/projects/{pid}/media", files={"file": f})
        assert second.status_code == 409, second.text
        assert second.json()["detail"]["reason"] == "too_many_uploads"
        assert second.json()["detail"]["message"].startswith("The project is full")
    kept = sorted(p.suffix for p in leftovers(stack.root))
    assert kept == [".jpg", ".png"]  # the first photo and its thumbnail, nothing of the rest
    peak = stack.api_peak_rss_bytes()
    print(f"API peak RSS after the bombs: {peak / 2**20:.0f} MiB")
    assert peak < API_RSS_BOUND
