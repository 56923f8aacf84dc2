"""The studio's page is served at / and at its client routes under a strict policy, and
never in place of the API's own paths."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.app import create_app
from api.studio import STATIC_DIR


def client() -> TestClient:
    # No `with`: the lifespan (Kafka, the database) is not started; these routes need neither.
    return TestClient(create_app("127.0.0.1:1"))


def test_the_page_and_its_client_routes_carry_the_policy() -> None:
    web = client()
    built = (STATIC_DIR / "index.html").is_file()
    for path in ("/", "/projects", "/projects/proj_123", "/admin"):
        answer = web.get(path)
        assert answer.status_code == (200 if built else 503), path
        policy = answer.headers["content-security-policy"]
        assert policy.startswith("default-src 'self'; script-src 'self';")
        assert "unsafe-inline" not in policy and "http" not in policy
        if built:
            assert '<div id="app">' in answer.text
        else:
            assert (
                answer.text
                == "The studio is not built: run make (it builds studio/ into api/studio_static)."
            )


def test_the_api_paths_are_never_the_page() -> None:
    web = client()
    unknown = web.get("/api/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Not Found"}
    assert "content-security-policy" not in web.get("/openapi.json").headers
    assert "/" not in web.get("/openapi.json").json()["paths"]


def test_the_built_page_loads_its_script_from_a_file() -> None:
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        return  # not built: the test above checks the 503 sentence instead
    html = index.read_text()
    scripts = re.findall(r"<script[^>]*>", html)
    assert len(scripts) == 1 and 'src="/assets/' in scripts[0]
    src = re.search(r'src="(/assets/[^"]+)"', scripts[0])
    assert src is not None
    asset = client().get(src.group(1))
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
