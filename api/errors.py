"""HTTP errors whose detail reads like a sentence and names the fix."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from pydantic import ValidationError

from engine.errors import EdlValidationError


def unprocessable(exc: ValidationError, *loc_prefix: str) -> HTTPException:
    """422 in FastAPI's own shape ({type, loc, msg}) for a model validated inside a handler."""
    detail: list[dict[str, Any]] = [
        {"type": e["type"], "loc": [*loc_prefix, *e["loc"]], "msg": e["msg"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)


def unprocessable_edl(exc: EdlValidationError) -> HTTPException:
    """422 listing each broken segment and field of an EDL."""
    detail = [
        {
            "segment_index": p.segment_index,
            "field": p.field,
            "code": p.code,
            "message": str(p),
        }
        for p in exc.problems
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)


def conflict(message: str) -> HTTPException:
    """409: the request is fine but the project is not in a state to do it yet."""
    return HTTPException(status.HTTP_409_CONFLICT, detail=message)


def not_found(what: str) -> HTTPException:
    """404 for a missing thing and for someone else's alike."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} not found")
