"""Roles and accounts through the real API: only administrators change the shared render
config, a password is not guessed by brute force, and a logged-out token is dead."""

from __future__ import annotations

import uuid

from tests.support.api_stack import Stack, sign_up, sign_up_admin

PASSWORD = "correct horse 42"


def email(who: str = "user") -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


async def test_a_user_cannot_change_the_render_config_and_is_told_why(stack: Stack) -> None:
    user = await sign_up(stack, email())
    async with stack.client(user.token) as client:
        before = (await client.get("/api/v1/render/config")).json()
        answer = await client.patch("/api/v1/render/config", json={"max_parallelism": 1})
        # What the user sees: 403 and a sentence naming who may, not a bare "Forbidden".
        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"].startswith("Only an administrator may do this")
        assert (await client.get("/api/v1/render/config")).json() == before


async def test_an_admin_changes_the_config_and_users_do_not_see_the_admins_email(
    stack: Stack,
) -> None:
    admin = await sign_up_admin(stack, email("admin"))
    user = await sign_up(stack, email())
    async with stack.client(admin.token) as client:
        patched = await client.patch("/api/v1/render/config", json={"max_retry": 3})
        assert patched.status_code == 200, patched.text
        assert patched.json()["config"]["max_retry"] == 3
        assert patched.json()["updated_by"] == admin.email
        # The placeholder clip is not the config's to choose, not even an admin's.
        path = await client.patch(
            "/api/v1/render/config", json={"placeholder_asset_path": "/media/mine.mp4"}
        )
        assert path.status_code == 422, path.text
        assert path.json()["detail"][0]["loc"] == ["body", "placeholder_asset_path"]
        assert "cannot be set" in path.json()["detail"][0]["msg"]
    async with stack.client(user.token) as client:
        seen = (await client.get("/api/v1/render/config")).json()
    assert seen["version"] == patched.json()["version"]
    assert seen["updated_by"] == "an administrator"


async def test_the_eleventh_wrong_password_within_a_minute_is_429_with_retry_after(
    stack: Stack,
) -> None:
    account = await sign_up(stack, email("victim"))
    wrong = {"email": account.email, "password": "not the password"}
    async with stack.client() as client:
        for attempt in range(10):
            answer = await client.post("/api/v1/auth/login", json=wrong)
            assert answer.status_code == 401, (attempt, answer.text)
        eleventh = await client.post("/api/v1/auth/login", json=wrong)
        assert eleventh.status_code == 429, eleventh.text
        assert 1 <= int(eleventh.headers["Retry-After"]) <= 60
        assert eleventh.json()["detail"].startswith("Too many attempts")
        # Even the right password waits: the limit is on the account, not on wrong answers.
        right = await client.post(
            "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
        )
        assert right.status_code == 429
        # Another account from the same address is not locked out by someone else's guesses.
        other = await sign_up(stack, email())
        assert other.token


async def test_logout_revokes_the_token(stack: Stack) -> None:
    account = await sign_up(stack, email())
    async with stack.client(account.token) as client:
        assert (await client.get("/api/v1/auth/me")).status_code == 200
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        after = await client.get("/api/v1/auth/me")
        # What the client sees: its token is refused as any invalid one is.
        assert after.status_code == 401
        assert (await client.post("/api/v1/auth/logout")).status_code == 401
    # A fresh login still works, with a new token.
    async with stack.client() as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
        )
        assert login.status_code == 200 and login.json()["access_token"] != account.token
