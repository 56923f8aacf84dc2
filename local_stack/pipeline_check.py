"""What keeps a render from moving although Kafka and the database answer: no worker in the
worker group, or a projector that is not running or folds no event, from the API's
/healthz/pipeline."""

from __future__ import annotations

from typing import Any

import httpx

# How long a worker may be missing from its group before a command gives up: a worker that
# has just started takes some seconds to join.
WORKER_ABSENT_FOR_S = 15.0
# How long the projector may fold nothing while events wait.
PROJECTOR_IDLE_FOR_S = 8.0


def pipeline_state(api_url: str) -> dict[str, Any] | None:
    """The API's view of the worker group and the projector (None when it cannot tell)."""
    try:
        answer = httpx.get(f"{api_url}/healthz/pipeline", timeout=10)
        body = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    return body if answer.status_code == 200 and isinstance(body, dict) else None


def pipeline_problems(
    state: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, tuple[float, str]]:
    """Each problem's name -> (seconds it may last, the sentence that names it)."""
    problems: dict[str, tuple[float, str]] = {}
    worker, projector = state["worker"], state["projector"]
    if worker["members"] == 0:
        problems["worker"] = (
            WORKER_ABSENT_FOR_S,
            f"no worker is running (the worker group has no members); "
            f"{worker['clip_tasks_waiting']} clip tasks wait. Start one with `beatstitch worker`.",
        )
    waiting = projector["events_waiting"]
    before = previous["projector"]["events_waiting"] if previous else None
    if projector["running"] is False:
        problems["projector"] = (
            PROJECTOR_IDLE_FOR_S,
            f"the projector is not running; {waiting} events wait to be read models. "
            "Start it with `beatstitch projector`.",
        )
    elif waiting > 0 and (before is None or waiting >= before):
        problems["projector"] = (
            PROJECTOR_IDLE_FOR_S,
            f"the projector is not running or folds nothing; {waiting} events wait to be "
            "read models. Start it with `beatstitch projector`.",
        )
    return problems
