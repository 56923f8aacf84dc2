"""The studio: the built web page (studio/ → api/studio_static) served at `/`, same origin
as the API, under a Content-Security-Policy that lets it talk to this server only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "studio_static"

# No inline script or style element, no other host: the browser itself refuses any request
# the studio might make elsewhere. blob: is the thumbnails (fetched with the bearer token).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # index.html names the hashed assets: always ask for the newest one.
    "Cache-Control": "no-cache",
}
NOT_BUILT = "The studio is not built: run make (it builds studio/ into api/studio_static)."

router = APIRouter(include_in_schema=False)


def _page() -> Response:
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        return PlainTextResponse(NOT_BUILT, status_code=503, headers=PAGE_HEADERS)
    return FileResponse(index, media_type="text/html", headers=PAGE_HEADERS)


@router.get("/")
def studio_home() -> Response:
    """The studio's page (sign in, projects)."""
    return _page()


# The studio's own client routes; /api, /metrics and /health* are never answered here.
@router.get("/admin")
@router.get("/projects")
@router.get("/projects/{rest:path}")
def studio_route(rest: str = "") -> Response:
    """The studio's page for one of its client routes (the page routes itself)."""
    del rest
    return _page()


class _Assets(StaticFiles):
    """The hashed JS and CSS files, under the same policy headers as the page."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        # A hashed name never changes content: cache it for a year.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def mount_studio(app: FastAPI) -> None:
    """Serve the studio at `/` and its assets at `/assets` (a 503 page when not built)."""
    app.include_router(router)
    if (STATIC_DIR / "assets").is_dir():
        app.mount("/assets", _Assets(directory=STATIC_DIR / "assets"), name="studio")
