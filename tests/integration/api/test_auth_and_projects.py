"""Auth and projects through HTTP: 401 without a token, 404 across users, validated settings."""

from __future__ import annotations

import uuid

from tests.support.api_stack import Stack, sign_up


def email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


async def test_every_project_route_needs_a_token(stack: Stack) -> None:
    async with stack.client() as anonymous, stack.client(token="not-a-real-token") as forged:
        for client in (anonymous, forged):
            for method, path in [
                ("GET", "/api/v1/projects"),
                ("POST", "/api/v1/projects"),
                ("GET", "/api/v1/projects/proj-x"),
                ("GET", "/api/v1/projects/proj-x/media"),
                ("GET", "/api/v1/projects/proj-x/timeline"),
                ("GET", "/api/v1/video/workspaces/ws-x/render/jobs/render-x"),
                ("POST", "/api/v1/video/workspaces/ws-x/render/proj-x"),
                ("GET", "/api/v1/render/config"),
            ]:
                answer = await client.request(method, path, json={})
                # What the user sees: 401, a Bearer challenge, and how to get a token.
                assert answer.status_code == 401, (method, path, answer.text)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert "POST /api/v1/auth/login" in answer.json()["detail"]


async def test_login_refuses_a_wrong_password_and_register_refuses_a_taken_email(
    stack: Stack,
) -> None:
    account = await sign_up(stack, email())
    async with stack.client() as client:
        wrong = await client.post(
            "/api/v1/auth/login", json={"email": account.email, "password": "wrong password"}
        )
        assert wrong.status_code == 401
        again = await client.post(
            "/api/v1/auth/register", json={"email": account.email, "password": "another one 1"}
        )
        assert again.status_code == 409
        assert "already registered" in again.json()["detail"]
        short = await client.post(
            "/api/v1/auth/register", json={"email": email(), "password": "short"}
        )
        assert short.status_code == 422


async def test_another_users_project_is_not_found(stack: Stack) -> None:
    alice, bob = await sign_up(stack, email()), await sign_up(stack, email())
    async with stack.client(alice.token) as as_alice, stack.client(bob.token) as as_bob:
        created = await as_alice.post("/api/v1/projects", json={"name": "holiday"})
        assert created.status_code == 201, created.text
        project = created.json()
        assert project["status"] == "draft"
        assert project["workspace_id"] == alice.workspace_id
        pid = project["id"]
        for method, path in [
            ("GET", f"/api/v1/projects/{pid}"),
            ("PATCH", f"/api/v1/projects/{pid}"),
            ("DELETE", f"/api/v1/projects/{pid}"),
            ("GET", f"/api/v1/projects/{pid}/media"),
            ("GET", f"/api/v1/projects/{pid}/audio"),
            ("POST", f"/api/v1/projects/{pid}/timeline"),
            ("POST", f"/api/v1/video/workspaces/{alice.workspace_id}/render/{pid}"),
            ("GET", f"/api/v1/video/workspaces/{alice.workspace_id}/render/jobs"),
        ]:
            answer = await as_bob.request(method, path, json={})
            assert answer.status_code == 404, (method, path, answer.text)
        assert [p["id"] for p in (await as_bob.get("/api/v1/projects")).json()] == []
        assert (await as_alice.get(f"/api/v1/projects/{pid}")).status_code == 200


async def test_project_settings_are_validated_and_merged(stack: Stack) -> None:
    account = await sign_up(stack, email())
    async with stack.client(account.token) as client:
        pid = (await client.post("/api/v1/projects", json={"name": "p"})).json()["id"]
        bad = await client.patch(f"/api/v1/projects/{pid}", json={"settings": {"beats_per_cut": 3}})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "settings", "beats_per_cut"]
        too_long = await client.patch(
            f"/api/v1/projects/{pid}",
            json={"settings": {"transition": {"type": "crossfade", "duration_ms": 2500}}},
        )
        assert too_long.status_code == 422
        assert "between 0 and 2000" in too_long.json()["detail"][0]["msg"]
        odd = await client.patch(
            f"/api/v1/projects/{pid}", json={"settings": {"output": {"width": 641}}}
        )
        assert odd.status_code == 422
        good = await client.patch(
            f"/api/v1/projects/{pid}",
            json={"name": "renamed", "settings": {"beats_per_cut": 8, "output": {"fps": 24}}},
        )
        assert good.status_code == 200, good.text
        settings = good.json()["settings"]
        # Merged: the untouched output width stays, the changed values are in.
        assert (settings["beats_per_cut"], settings["output"]) == (
            8,
            {"width": 1280, "height": 720, "fps": 24},
        )
        assert (await client.get(f"/api/v1/projects/{pid}")).json()["name"] == "renamed"
        assert (await client.delete(f"/api/v1/projects/{pid}")).status_code == 204
        assert (await client.get(f"/api/v1/projects/{pid}")).status_code == 404


async def test_a_timeline_with_too_many_segments_is_refused_before_it_is_parsed(
    stack: Stack,
) -> None:
    account = await sign_up(stack, email())
    async with stack.client(account.token) as client:
        project = (await client.post("/api/v1/projects", json={"name": "long"})).json()
        answer = await client.put(
            f"/api/v1/projects/{project['id']}/timeline", json={"segments": [{}] * 100_000}
        )
    # What the user reads: 422, the field, and how to get under the limit.
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["field"], problem["code"]) == ("segments", "too_many_segments")
    assert "100000 segments are more than the 1000 one render may have" in problem["message"]
    assert "BEATSTITCH_MAX_SEGMENTS" in problem["message"]
