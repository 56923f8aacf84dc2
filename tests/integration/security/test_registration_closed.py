"""BEATSTITCH_REGISTRATION=closed: nobody signs themselves up; an administrator creates
accounts (with the CLI or POST /api/v1/users)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.api_stack import Stack, sign_up_admin

PASSWORD = "correct horse 42"


@pytest.fixture(scope="module")
def stack_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The module's stack with registration closed."""
    return {**stack_env, "BEATSTITCH_REGISTRATION": "closed"}


def email(who: str = "user") -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


async def test_self_registration_is_refused_with_a_sentence(stack: Stack) -> None:
    async with stack.client() as client:
        answer = await client.post(
            "/api/v1/auth/register", json={"email": email(), "password": PASSWORD}
        )
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"].startswith("Registration is closed on this server")


async def test_an_admin_creates_accounts_and_a_user_cannot(stack: Stack) -> None:
    admin = await sign_up_admin(stack, email("admin"))
    new = email("new")
    async with stack.client(admin.token) as client:
        made = await client.post("/api/v1/users", json={"email": new, "password": PASSWORD})
        assert made.status_code == 201, made.text
        assert made.json()["role"] == "user"
    async with stack.client() as client:
        login = await client.post("/api/v1/auth/login", json={"email": new, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
    async with stack.client(token) as client:
        refused = await client.post("/api/v1/users", json={"email": email(), "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Only an administrator may do this")
