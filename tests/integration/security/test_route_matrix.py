"""Every route of the OpenAPI document, called with no token, an expired token, a revoked
token and another user's token. The list comes from the live API's /openapi.json, so a new
route without an authentication or ownership check fails here."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.accounts import issue_token
from api.clock import now
from api.models import User
from tests.support.api_stack import Account, Stack, project_with_a_photo, sign_up

# Anyone may call these (the way in, and the probes of a load balancer and a waiting CLI).
PUBLIC = {
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/healthz"),
    ("GET", "/healthz/pipeline"),
}
# Admin-only: another (non-admin) user's token is a 403, not a 404.
ADMIN_ONLY = {
    ("PATCH", "/api/v1/render/config"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/analytics/windows"),
}
LOGOUT = ("POST", "/api/v1/auth/logout")
PARAM = re.compile(r"\{([a-z_]+)\}")


def email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


def expired_token(stack: Stack, user_id: str) -> str:
    """A real token of the user whose lifetime is over (written as a login would)."""
    engine = create_engine(stack.env["BEATSTITCH_DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        assert user is not None
        token, row = issue_token(session, user, ttl_hours=1)
        row.expires_at = now() - timedelta(minutes=1)
        session.commit()
    engine.dispose()
    return token


async def alices_things(stack: Stack, alice: Account, tmp: Path) -> dict[str, str]:
    """Real ids of Alice's objects, to fill the routes' path parameters."""
    pid, asset_id = await project_with_a_photo(stack, alice, tmp)
    return {
        "project_id": pid,
        "workspace_id": alice.workspace_id,
        "asset_id": asset_id,
        # No render runs in this module; a job of Alice's workspace is reached through it.
        "job_id": f"job-{uuid.uuid4().hex[:12]}",
        # A generation is reached through its project, which is Alice's.
        "generation_id": f"gen-{uuid.uuid4().hex[:12]}",
    }


def routes(document: dict[str, object]) -> list[tuple[str, str]]:
    """(method, path template) of every operation in the OpenAPI document."""
    paths = document["paths"]
    assert isinstance(paths, dict)
    return [(m.upper(), p) for p, ops in paths.items() for m in ops]


async def call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    return await client.request(method, path, timeout=30)


async def test_every_route_refuses_strangers_and_hides_other_users_objects(
    stack: Stack, tmp_path: Path
) -> None:
    alice, bob = await sign_up(stack, email("alice")), await sign_up(stack, email("bob"))
    things = await alices_things(stack, alice, tmp_path)
    revoked = await sign_up(stack, alice.email.replace("alice", "gone"))
    async with stack.client(revoked.token) as client:
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
    tokens = {
        "no token": None,
        "expired token": expired_token(stack, alice.user_id),
        "revoked token": revoked.token,
    }
    async with stack.client() as client:
        document = (await client.get("/openapi.json")).json()
    # Logging out with Bob's token ends it: that one goes last.
    operations = sorted(
        (op for op in routes(document) if op not in PUBLIC), key=lambda op: op == LOGOUT
    )
    assert len(operations) >= 25, operations

    wrong: list[str] = []
    for method, template in operations:
        path = PARAM.sub(lambda m: things[m.group(1)], template)
        for name, token in tokens.items():
            async with stack.client(token) as client:
                answer = await call(client, method, path)
            if answer.status_code != 401:
                wrong.append(f"{method} {template} with {name}: {answer.status_code}")
        async with stack.client(bob.token) as client:
            answer = await call(client, method, path)
        if (method, template) in ADMIN_ONLY:
            expected = 403
        elif PARAM.search(template):
            expected = 404  # Alice's object: not Bob's to see, nor to know it exists
        else:
            expected = None  # Bob's own collection: anything but 401 and 5xx
        got = answer.status_code
        if (expected is not None and got != expected) or got == 401 or got >= 500:
            wrong.append(f"{method} {template} with another user's token: {got}")
    assert not wrong, "\n".join(wrong)

    # Nothing of Alice's was touched by Bob's DELETEs and PATCHes.
    async with stack.client(alice.token) as client:
        mine = await client.get(f"/api/v1/projects/{things['project_id']}")
        assert mine.status_code == 200 and mine.json()["name"] == "mine"
        media = await client.get(f"/api/v1/projects/{things['project_id']}/media")
        assert [m["id"] for m in media.json()] == [things["asset_id"]]
