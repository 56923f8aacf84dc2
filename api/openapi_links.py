"""OpenAPI links: which id in an answer names the object of which later request.

A generated client (and Schemathesis' stateful phase) follows them: a created project's
`id` is the `project_id` of its reads, updates, uploads and timeline; an uploaded asset's
`id` and `project_id` name the asset's own routes.
"""

from __future__ import annotations

import re
from typing import Any

PROJECT = "/api/v1/projects/{project_id}"
MEDIA = PROJECT + "/media"
ASSET = MEDIA + "/{asset_id}"


def _ref(method: str, path: str) -> str:
    # A JSON pointer into the document's paths ("/" is written "~1").
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _name(method: str, path: str) -> str:
    # Link names may hold letters, digits, ".", "-" and "_" only.
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {path.removeprefix('/api/v1/')}").strip("_")


def _links(targets: list[tuple[str, str]], parameters: dict[str, str]) -> dict[str, Any]:
    return {
        _name(method, path): {"operationRef": _ref(method, path), "parameters": parameters}
        for method, path in targets
    }


def created_project(status: int) -> dict[int | str, dict[str, Any]]:
    """Links from a created project to the routes of that project."""
    targets = [
        ("get", PROJECT),
        ("patch", PROJECT),
        ("delete", PROJECT),
        ("get", MEDIA),
        ("post", MEDIA),
        ("get", PROJECT + "/audio"),
        ("post", PROJECT + "/timeline"),
        ("get", PROJECT + "/timeline"),
    ]
    return {status: {"links": _links(targets, {"project_id": "$response.body#/id"})}}


def created_asset(status: int) -> dict[int | str, dict[str, Any]]:
    """Links from an uploaded photo or clip to its own routes."""
    targets = [("get", ASSET), ("get", ASSET + "/thumbnail"), ("delete", ASSET)]
    parameters = {"project_id": "$response.body#/project_id", "asset_id": "$response.body#/id"}
    return {status: {"links": _links(targets, parameters)}}
