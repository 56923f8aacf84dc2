"""The one error body every route answers with, and the error statuses each route documents.

Every error is `{"detail": ...}`; what `detail` holds depends on who refused the request:
a sentence (most refusals), FastAPI's list of field problems (a body or parameter that does
not fit the document, or a settings value the handler validates), a list of EDL problems
(a timeline or render refused segment by segment), or an upload refusal's machine reason
and sentence. The four are kept as they are sent, because the CLI and users read them; the
document names each, so a generated client knows every answer it can get.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """A request field that does not fit: where (`loc`), what (`type`) and a sentence."""

    model_config = ConfigDict(extra="allow")

    type: str
    loc: list[str | int]
    msg: str


class EdlProblem(BaseModel):
    """A broken segment (or whole-EDL) field of a timeline, with a machine code."""

    segment_index: int | None
    field: str
    code: str
    message: str


class UploadRefusal(BaseModel):
    """Why a request body or an upload was refused: a machine reason and a sentence."""

    reason: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: `detail` is a sentence, a list of field or EDL problems, or an
    upload refusal."""

    detail: str | list[FieldProblem] | list[EdlProblem] | UploadRefusal


class ProjectionLaggingBody(ErrorBody):
    """503: the change is in the event log but the read model has not shown it in time
    (`event_id` names it), or the store did not answer (no event was produced then)."""

    event_id: str | None = Field(
        default=None, description="The accepted event: do not send the request again."
    )
    correlation_id: str | None = None


WHY: dict[int, str] = {
    400: "The body or a header cannot be read (a JSON body that is not UTF-8, a malformed "
    "multipart body, a Last-Event-ID that is not an integer).",
    401: "No bearer token, or one that is unknown, expired or revoked (or, on login, a wrong "
    "e-mail or password).",
    403: "The caller may not do this (administrators only, or registration is closed).",
    404: "No such object, or another user's (the two are answered alike).",
    409: "The request is fine but the object is not in a state to do it (missing music or "
    "media, an analysis or render not finished, an e-mail already registered, a full project).",
    413: "The body is over its cap (JSON bodies, uploads, the account's bytes).",
    415: "The upload is not a photo, clip or song of an accepted type (judged by content).",
    422: "The request does not fit: a field, a settings value, an EDL segment or an upload "
    "that cannot be decoded or is over a media cap.",
    429: "Too many attempts (login and registration) or progress streams; see Retry-After.",
    503: "The event was accepted but the read model did not show it in time (see Retry-After).",
}
# The 503 of a route that reads or writes the store (a sentence naming the store).
STORE_DOWN = "The store of media and renders did not answer; the sentence names it."


def errors(*statuses: int, store: bool = False) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that may answer these error statuses (and, with `store`,
    a 503 when the store does not answer)."""
    answers: dict[int | str, dict[str, Any]] = {
        status: {
            "model": ProjectionLaggingBody if status == 503 else ErrorBody,
            "description": WHY[status],
        }
        for status in sorted({*statuses, 422})
    }
    if store and 503 in answers:
        answers[503]["description"] = f"{WHY[503]} Or: {STORE_DOWN}"
    elif store:
        answers[503] = {"model": ErrorBody, "description": STORE_DOWN}
    return answers


# What every route shares: a request that does not fit the document is 422 (FastAPI's check).
# Behind a token:
TOKEN = (401,)
# …on an object the caller must own (a project, workspace, asset or render job):
OWNED = (401, 404)
# A JSON body: unreadable (not UTF-8) is 400, over the JSON cap 413.
BODY = (400, 413)
# A POST without a body is still capped (a client that sends one anyway gets 413).
CAPPED = (413,)
# Produces an event and waits for the read model to show it.
EMITS = (503,)
# An upload: multipart read, sniffed, probed and capped.
UPLOAD = (400, 401, 404, 413, 415, 422)
