"""fal.ai's queue API serving Pika's v2.2 endpoints, as fal documents it: `Authorization: Key`
on every call; POST /{model_id} answering {request_id, status_url, response_url, cancel_url};
GET .../requests/{id}/status answering IN_QUEUE (queue_position), IN_PROGRESS (logs) or
COMPLETED; GET .../requests/{id} answering {"video": {"url"}} or, for a request that failed,
422 with {"detail": [...]}; errors as {"detail": "..."}."""

from __future__ import annotations

from pathlib import Path

from tests.support.provider_imitations.server import API_KEY, Imitation, Reply, Seen

MODELS = {"fal-ai/pika/v2.2/text-to-video", "fal-ai/pika/v2.2/image-to-video"}
APP = "fal-ai/pika"  # fal's request URLs name the app, not the endpoint under it


class PikaImitation(Imitation):
    """fal.ai's queue in front of Pika."""

    def __init__(self, clip: Path) -> None:
        super().__init__(clip)
        self.finished: dict[str, str] = {}  # completed requests: their failure ("" if none)

    def authorized(self, seen: Seen) -> bool:
        return seen.headers.get("authorization") == f"Key {API_KEY}"

    def is_create(self, seen: Seen) -> bool:
        return seen.method == "POST"

    def error(self, status: int, message: str) -> Reply:
        return Reply.json(status, {"detail": message})

    def route(self, seen: Seen) -> Reply:
        path = seen.path.split("?")[0]
        if seen.method == "POST" and path.lstrip("/") in MODELS:
            return self._submit(seen, path.lstrip("/"))
        prefix = f"/{APP}/requests/"
        request_id, _, tail = path.removeprefix(prefix).partition("/")
        if seen.method != "GET" or not path.startswith(prefix) or not self.known(request_id):
            return self.error(404, "Request not found")
        if tail == "status":
            return Reply.json(200, self._status(request_id))
        return self._result(request_id)

    def _submit(self, seen: Seen, model: str) -> Reply:
        body = seen.json()
        if not body.get("prompt") or body.get("duration") not in {5, 10}:
            return self.error(422, "prompt is required and duration must be 5 or 10")
        if model.endswith("image-to-video") and not body.get("image_url"):
            return self.error(422, "image_url is required")
        request_id = self.new_task()
        base = f"{self.url}/{APP}/requests/{request_id}"
        return Reply.json(
            200,
            {
                "request_id": request_id,
                "status_url": f"{base}/status",
                "response_url": base,
                "cancel_url": f"{base}/cancel",
            },
        )

    def _status(self, request_id: str) -> dict[str, object]:
        stage = self.poll(request_id)
        if stage.name == "waiting":
            return {"status": "IN_QUEUE", "queue_position": 2}
        if stage.name == "running":
            lines = round(stage.share * 10)
            logs = [{"message": f"step {n}", "level": "INFO"} for n in range(lines)]
            return {"status": "IN_PROGRESS", "logs": logs}
        self.finished[request_id] = stage.reason
        return {"status": "COMPLETED", "logs": []}

    def _result(self, request_id: str) -> Reply:
        if request_id not in self.finished:
            return self.error(400, "Request is still in progress")
        if self.finished[request_id]:
            detail = [{"loc": ["body", "prompt"], "msg": self.finished[request_id]}]
            return Reply.json(422, {"detail": detail})
        return Reply.json(200, {"video": {"url": self.output_url(request_id)}, "seed": 7})
