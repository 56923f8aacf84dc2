"""Runway's API as its reference documents it: Bearer key and X-Runway-Version on every call,
POST /v1/text_to_video and /v1/image_to_video answering {"id"}, GET /v1/tasks/{id} answering
PENDING, RUNNING (with progress 0..1), SUCCEEDED (with `output` URLs) or FAILED (with
`failure` and `failureCode`); errors as {"error": "..."}."""

from __future__ import annotations

from tests.support.provider_imitations.server import API_KEY, Imitation, Reply, Seen

RUNWAY_VERSION = "2024-11-06"
CREATED_AT = "2026-01-01T00:00:00.000Z"


class RunwayImitation(Imitation):
    """The Runway developer API."""

    def authorized(self, seen: Seen) -> bool:
        return seen.headers.get("authorization") == f"Bearer {API_KEY}"

    def is_create(self, seen: Seen) -> bool:
        return seen.method == "POST"

    def error(self, status: int, message: str) -> Reply:
        return Reply.json(status, {"error": message})

    def route(self, seen: Seen) -> Reply:
        if seen.headers.get("x-runway-version") != RUNWAY_VERSION:
            return self.error(400, "The X-Runway-Version header is missing or not a version")
        if seen.method == "POST" and seen.path in {"/v1/text_to_video", "/v1/image_to_video"}:
            body = seen.json()
            if not body.get("promptText") or not body.get("ratio") or not body.get("model"):
                return self.error(400, "promptText, ratio and model are required")
            if seen.path == "/v1/image_to_video" and not body.get("promptImage"):
                return self.error(400, "promptImage is required")
            return Reply.json(200, {"id": self.new_task()})
        task_id = seen.path.removeprefix("/v1/tasks/")
        if seen.method == "GET" and self.known(task_id):
            return Reply.json(200, self._task(task_id))
        return self.error(404, "Not found")

    def _task(self, task_id: str) -> dict[str, object]:
        stage = self.poll(task_id)
        task: dict[str, object] = {"id": task_id, "createdAt": CREATED_AT}
        if stage.name == "waiting":
            return {**task, "status": "PENDING", "estimatedCost": {"credits": 25}}
        if stage.name == "running":
            return {
                **task,
                "status": "RUNNING",
                "progress": stage.share,
                "estimatedCost": {"credits": 25},
            }
        if stage.name == "failed":
            return {
                **task,
                "status": "FAILED",
                "failure": stage.reason,
                "failureCode": "SAFETY.INPUT.TEXT",
                "cost": {"credits": 0},
            }
        return {
            **task,
            "status": "SUCCEEDED",
            "output": [self.output_url(task_id)],
            "cost": {"credits": 25},
        }
