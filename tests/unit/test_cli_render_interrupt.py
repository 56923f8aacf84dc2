"""Ctrl-C during `beatstitch render`/`demo` cancels the render it started and says so."""

from __future__ import annotations

import httpx
import pytest

from cli.api_render import ApiClient, cancelled_on_interrupt
from cli.runtime import CliError


def client(status: int, seen: list[str]) -> ApiClient:
    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(status, json={"detail": "Render j1 is already complete."})

    api = ApiClient("http://api")
    api.http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(reply))
    return api


def test_an_interrupted_render_is_cancelled_and_the_user_told() -> None:
    seen: list[str] = []
    with (
        pytest.raises(CliError, match="interrupted: the render j1 is cancelled"),
        cancelled_on_interrupt(client(202, seen), "ws", "j1"),
    ):
        raise KeyboardInterrupt
    assert seen == ["POST /api/v1/video/workspaces/ws/render/jobs/j1/cancel"]


def test_a_cancel_the_api_refuses_is_said_too() -> None:
    with (
        pytest.raises(CliError, match="was not cancelled .*already complete"),
        cancelled_on_interrupt(client(409, []), "ws", "j1"),
    ):
        raise KeyboardInterrupt


def test_nothing_is_cancelled_when_the_render_ends_by_itself() -> None:
    seen: list[str] = []
    with cancelled_on_interrupt(client(202, seen), "ws", "j1"):
        pass
    assert seen == []
