"""The OpenAPI document tells a client what the API accepts and every error it can answer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.app import create_app
from api.schemas import EMAIL_PATTERN, Credentials
from api.settings_schema import BOUNDS, settings_schema
from engine.render_settings import RenderSettings


def _settings_with(section: str, field: str, value: int) -> dict[str, Any]:
    return {section: {field: value}}


@pytest.mark.parametrize(("section", "field"), sorted(BOUNDS))
def test_documented_settings_ranges_are_the_ones_the_model_enforces(
    section: str, field: str
) -> None:
    lo, hi, even = BOUNDS[(section, field)]
    step = 2 if even else 1
    for accepted in (lo, hi):
        RenderSettings.model_validate(_settings_with(section, field, accepted))
    for refused in (lo - step, hi + step):
        with pytest.raises(ValidationError):
            RenderSettings.model_validate(_settings_with(section, field, refused))
    if even:
        with pytest.raises(ValidationError):
            RenderSettings.model_validate(_settings_with(section, field, lo + 1))
    prop = settings_schema(partial=False)["properties"][section]["properties"][field]
    assert (prop["minimum"], prop["maximum"]) == (lo, hi)


def test_a_settings_patch_documents_no_required_field() -> None:
    def required(node: Any) -> bool:
        if isinstance(node, dict):
            return "required" in node or any(required(v) for v in node.values())
        return False

    assert not required(settings_schema(partial=True))


def test_an_address_at_a_special_use_domain_is_refused_as_the_document_says() -> None:
    document = create_app("127.0.0.1:9").openapi()
    email = document["components"]["schemas"]["Credentials"]["properties"]["email"]
    assert not re.search(email["pattern"], "someone@example.TEST")
    assert re.search(email["pattern"], "someone@example.com")
    with pytest.raises(ValidationError):
        Credentials(email="someone@example.test", password="long enough")
    assert Credentials(email="Someone@Example.COM", password="long enough").email == (
        "Someone@example.com"
    )


def test_every_route_documents_its_errors_with_the_one_error_body() -> None:
    document = create_app("127.0.0.1:9").openapi()
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not status.startswith(("4", "5")) or path == "/healthz":
                    continue
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                if not ref.endswith(("/ErrorBody", "/ProjectionLaggingBody")):
                    missing.append(f"{method.upper()} {path} {status}: {ref}")
            if path != "/healthz" and path not in PUBLIC and "401" not in operation["responses"]:
                missing.append(f"{method.upper()} {path}: no 401")
    assert not missing, "\n".join(missing)
    assert "HTTPValidationError" not in document["components"]["schemas"]


PUBLIC = {"/api/v1/auth/register", "/healthz/pipeline"}


@settings(max_examples=300, database=None, derandomize=True)
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda e: len(e) <= 254))
def test_every_address_the_document_allows_is_accepted(email: str) -> None:
    # A client that follows the document is never told its e-mail is not an e-mail.
    Credentials(email=email, password="long enough")


def test_every_link_names_an_operation_and_its_parameters() -> None:
    # Schemathesis' stateful phase and generated clients follow these from a created object.
    document = create_app("127.0.0.1:9").openapi()
    followed = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            for answer in operation["responses"].values():
                for name, link in answer.get("links", {}).items():
                    assert re.fullmatch(r"[A-Za-z0-9._-]+", name), name
                    path, method = _resolve(link["operationRef"])
                    target = document["paths"][path][method]
                    names = {p["name"] for p in target.get("parameters", [])}
                    assert set(link["parameters"]) <= names, (name, names)
                    followed += 1
    assert followed >= 10


def _resolve(ref: str) -> tuple[str, str]:
    path, method = ref.removeprefix("#/paths/").rsplit("/", 1)
    return path.replace("~1", "/").replace("~0", "~"), method
