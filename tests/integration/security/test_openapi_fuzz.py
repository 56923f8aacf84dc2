"""Schemathesis fuzzes the live API as one user while another user's objects exist.

What a client generated from /openapi.json may count on: every answer it gets is documented
(status code, content type, body schema), no request makes the server fail (5xx), a request
the document calls valid is not refused as malformed, and no answer to user B carries user
A's project, media, workspace or account id, or A's e-mail. The first run (examples, coverage
and fuzzing phases) aims B's requests at A's objects: every path id is one of A's. The second
(the stateful phase) follows the document's links through B's own objects: create a project,
read it, rename it, list its media… Generation is derandomized and keeps no example database,
so CI runs the same cases every time and nothing is written into the checkout.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response
from schemathesis.engine import events, from_schema
from schemathesis.schemas import BaseSchema

from tests.support.api_stack import Account, Stack, project_with_a_photo, sign_up

# Bounded so the module (stack start included) stays under about 90 s on two cores.
FUZZ_EXAMPLES = 6
STATEFUL_EXAMPLES = 30
STATEFUL_STEPS = 8
SEED = 12
# Logging out would end B's token for every case after it (the route matrix tests logout).
LOGOUT = "/api/v1/auth/logout"
# An upload is judged by its content (sniffed, decoded, capped), which no schema can say: a
# schema-valid file may still be 415 (not a photo, clip or song) or 422 (empty, undecodable).
UPLOADS = {
    "include-name": [
        "POST /api/v1/projects/{project_id}/media",
        "POST /api/v1/projects/{project_id}/audio",
    ],
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "401", "403", "404", "409", "413", "415", "422"]
        }
    },
}
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
)


@dataclass(frozen=True)
class Tenants:
    """User A, whose objects exist, and user B, who fuzzes."""

    alice: Account
    bob: Account
    project_id: str
    asset_id: str

    def path_ids(self) -> dict[str, str]:
        """A's ids by the path parameter that names them."""
        return {
            "project_id": self.project_id,
            "asset_id": self.asset_id,
            "workspace_id": self.alice.workspace_id,
        }

    def secrets(self) -> dict[str, str]:
        """What of A must not appear in an answer to B (unless B's request named it)."""
        return {**self.path_ids(), "user id": self.alice.user_id, "e-mail": self.alice.email}


# The tenants of the run in progress, read by the check below (Schemathesis registers checks
# by name, process-wide).
WATCHED: list[Tenants] = []


@schemathesis.check
def no_other_users_objects(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """No answer to user B names user A's objects or e-mail that B's request did not name."""
    if not WATCHED:
        return None
    sent = " ".join(str(p) for p in (case.path_parameters, case.query, case.body) if p)
    text = response.text or ""
    leaked = [
        name for name, value in WATCHED[-1].secrets().items() if value in text and value not in sent
    ]
    if leaked:
        raise AssertionError(f"the answer to user B names user A's {', '.join(leaked)}")
    return None


@dataclass
class Outcome:
    """What one engine run did and found: one example per operation and kind of failure."""

    cases: int = 0
    links: int = 0
    failures: dict[str, str] = field(default_factory=dict)

    def found(self, where: str, failure: Any, example: str) -> None:
        """Keep the first example of each operation's kind of failure."""
        self.failures.setdefault(f"{where}: {failure.title}", f"{example}\n{failure.message}")

    def report(self) -> str:
        """The findings, one per paragraph."""
        return "\n\n".join(f"{k}\n  {v}" for k, v in sorted(self.failures.items()))


def run(schema: BaseSchema) -> Outcome:
    """Run Schemathesis' engine over the schema, as its CLI does, and gather its findings."""
    outcome = Outcome()
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted) and event.payload is not None:
            outcome.links = event.payload.transitions_selected
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            outcome.cases += len(recorder.cases)
            for case_id, checks in recorder.checks.items():
                node = recorder.cases.get(case_id)
                where = node.value.operation.label if node else recorder.label
                interaction = recorder.interactions.get(case_id)
                request = interaction.request if interaction else None
                example = f"{request.method} {request.uri} {request.body!r:.300}" if request else ""
                for check in checks:
                    if check.failure_info is not None:
                        outcome.found(where, check.failure_info.failure, example)
        elif isinstance(event, events.NonFatalError):
            outcome.failures[f"{event.label}: error"] = event.info.format()
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                outcome.found(failure.operation or "run", failure, "")
    return outcome


def fuzz_config(token: str, phases: dict[str, Any]) -> schemathesis.Config:
    """B's token, the checks, and bounded, repeatable generation."""
    checks = {
        name: {"enabled": True} for name in (*BUILTIN_CHECKS, no_other_users_objects.__name__)
    }
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Nothing kept between runs (no cache folder in the checkout): every run the same.
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Bearer {token}"},
            "request-timeout": 30,
            "workers": 1,
            "suppress-health-check": ["all"],
            "generation": {
                "max-examples": FUZZ_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": False, **checks},
            "phases": phases,
            "operations": [UPLOADS],
        }
    )


def load(document: dict[str, Any], url: str, config: schemathesis.Config) -> BaseSchema:
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.config.update(base_url=url)
    return schema.exclude(path=LOGOUT)


async def _alice_and_bob(stack: Stack, tmp: Path) -> Tenants:
    tag = uuid.uuid4().hex[:8]
    alice = await sign_up(stack, f"alice-{tag}@example.com")
    bob = await sign_up(stack, f"bob-{tag}@example.com")
    pid, asset_id = await project_with_a_photo(stack, alice, tmp)
    return Tenants(alice, bob, pid, asset_id)


@pytest.fixture(scope="module")
def tenants(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    """Alice with a project and a photo; Bob with nothing yet; both watched for leaks."""
    found = asyncio.run(_alice_and_bob(stack, tmp_path_factory.mktemp("alice")))
    WATCHED.append(found)
    yield found
    WATCHED.remove(found)


@pytest.fixture(scope="module")
def document(stack: Stack) -> dict[str, Any]:
    """The live API's OpenAPI document."""
    answer = httpx.get(f"{stack.url}/openapi.json", timeout=30)
    answer.raise_for_status()
    doc: dict[str, Any] = answer.json()
    return doc


def test_user_b_aiming_at_user_a_gets_only_documented_answers(
    stack: Stack, tenants: Tenants, document: dict[str, Any]
) -> None:
    off = {"enabled": False}
    config = fuzz_config(tenants.bob.token, {"stateful": off})
    schema = load(document, stack.url, config)

    @schema.hook
    def map_path_parameters(
        context: HookContext, path_parameters: dict[str, Any]
    ) -> dict[str, Any]:
        ids = tenants.path_ids()
        return {k: ids.get(k, v) for k, v in (path_parameters or {}).items()}

    began = time.monotonic()
    outcome = run(schema)
    print(f"\nopenapi fuzz (stateless): {outcome.cases} cases in {time.monotonic() - began:.1f} s")
    assert outcome.cases > 200, outcome.report()
    assert not outcome.failures, outcome.report()


def test_user_b_following_links_through_his_own_objects_gets_only_documented_answers(
    stack: Stack, tenants: Tenants, document: dict[str, Any]
) -> None:
    off = {"enabled": False}
    stateful = {
        "max-steps": STATEFUL_STEPS,
        "generation": {"max-examples": STATEFUL_EXAMPLES},
    }
    phases = {"examples": off, "coverage": off, "fuzzing": off, "stateful": stateful}
    schema = load(document, stack.url, fuzz_config(tenants.bob.token, phases))
    began = time.monotonic()
    outcome = run(schema)
    took = time.monotonic() - began
    print(f"\nopenapi fuzz (stateful): {outcome.cases} cases, {outcome.links} links, {took:.1f} s")
    assert outcome.links >= 10, "the stateful phase found no links to follow"
    assert outcome.cases > 20, outcome.report()
    assert not outcome.failures, outcome.report()
