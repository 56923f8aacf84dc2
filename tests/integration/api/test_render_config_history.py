"""The render config's settings with their ranges, and its version history, through the real
API and projector: what the studio's admin page shows."""

from __future__ import annotations

import uuid

from tests.support.api_stack import Stack, sign_up, sign_up_admin


def email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


async def test_the_fields_say_each_range_and_whether_the_caller_may_edit(stack: Stack) -> None:
    admin = await sign_up_admin(stack, email("admin"))
    user = await sign_up(stack, email("user"))
    async with stack.client(admin.token) as client:
        as_admin = (await client.get("/api/v1/render/config/fields")).json()
    async with stack.client(user.token) as client:
        answer = await client.get("/api/v1/render/config/fields")
        refused = await client.patch("/api/v1/render/config", json={"max_retry": 1})
    assert answer.status_code == 200, answer.text
    as_user = answer.json()
    first = as_admin["fields"][0]
    assert first == {
        "name": "max_parallelism",
        "type": "integer",
        "minimum": 1,
        "maximum": 6,
        "default": 4,
        "description": "Clip tasks one worker renders at once.",
    }
    assert (as_admin["may_edit"], as_admin["why_not"]) == (True, None)
    # A user is told up front the very sentence a PATCH would answer.
    assert as_user["may_edit"] is False
    assert as_user["why_not"] == refused.json()["detail"]
    assert as_user["why_not"].startswith("Only an administrator may do this")
    assert as_user["fields"] == as_admin["fields"]
    async with stack.client() as client:
        assert (await client.get("/api/v1/render/config/fields")).status_code == 401
        assert (await client.get("/api/v1/render/config/versions")).status_code == 401


async def test_versions_newest_first_with_their_changes_paged(stack: Stack) -> None:
    admin = await sign_up_admin(stack, email("admin"))
    user = await sign_up(stack, email("user"))
    async with stack.client(admin.token) as client:
        start = (await client.get("/api/v1/render/config")).json()["config"]
        # Values unlike the ones in force, whatever earlier tests on this stack left.
        retry = 7 if start["max_retry"] != 7 else 8
        parallel = 3 if start["max_parallelism"] != 3 else 2
        first = await client.patch("/api/v1/render/config", json={"max_retry": retry})
        assert first.status_code == 200, first.text
        second = await client.patch(
            "/api/v1/render/config", json={"max_parallelism": parallel, "max_retry": 6}
        )
        assert second.status_code == 200, second.text
        newest = second.json()["version"]
        # Read your writes: the new version heads the history at once.
        page = (await client.get("/api/v1/render/config/versions", params={"limit": 1})).json()
        (top,) = page["versions"]
        assert top["version"] == newest
        assert top["updated_by"] == admin.email
        assert top["config"] == second.json()["config"]
        before = first.json()["config"]
        assert {c["field"]: (c["before"], c["after"]) for c in top["changes"]} == {
            "max_parallelism": (before["max_parallelism"], parallel),
            "max_retry": (retry, 6),
        }
        # The next page starts below: the first patch, with its own change.
        assert page["next_before"] == newest
        older = await client.get(
            "/api/v1/render/config/versions", params={"limit": 1, "before": newest}
        )
        (below,) = older.json()["versions"]
        assert below["version"] == first.json()["version"]
        assert below["changes"] == [
            {"field": "max_retry", "before": start["max_retry"], "after": retry}
        ]
        whole = (await client.get("/api/v1/render/config/versions")).json()
        numbers = [v["version"] for v in whole["versions"]]
        assert numbers == sorted(numbers, reverse=True) and numbers[0] == newest
        refused = await client.get("/api/v1/render/config/versions", params={"limit": 0})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["query", "limit"]
    async with stack.client(user.token) as client:
        seen = (await client.get("/api/v1/render/config/versions", params={"limit": 1})).json()
    # A user sees who changed it as GET …/config shows it: never an administrator's e-mail.
    assert seen["versions"][0]["version"] == newest
    assert seen["versions"][0]["updated_by"] == "an administrator"
