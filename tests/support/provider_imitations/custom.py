"""The contract of the `custom` provider (engine/generation/custom.py): POST /generations
answering {"task_id"}, GET /generations/{id} answering {status, progress, output_url, error};
a Bearer key when one is configured; errors as {"error": "..."}."""

from __future__ import annotations

from tests.support.provider_imitations.server import API_KEY, Imitation, Reply, Seen

FIELDS = {
    "prompt", "seed", "duration_s", "fps", "width", "height", "style", "motion_level",
    "camera_motion", "model", "image",
}  # fmt: skip


class CustomImitation(Imitation):
    """A service of our own contract; with `require_key` False it takes no key at all."""

    require_key = True

    def authorized(self, seen: Seen) -> bool:
        given = seen.headers.get("authorization")
        return given == f"Bearer {API_KEY}" if self.require_key else given is None

    def is_create(self, seen: Seen) -> bool:
        return seen.method == "POST"

    def error(self, status: int, message: str) -> Reply:
        return Reply.json(status, {"error": message})

    def route(self, seen: Seen) -> Reply:
        if seen.method == "POST" and seen.path == "/generations":
            missing = FIELDS - set(seen.json())
            if missing:
                return self.error(400, f"missing fields: {', '.join(sorted(missing))}")
            return Reply.json(202, {"task_id": self.new_task()})
        task_id = seen.path.removeprefix("/generations/")
        if seen.method != "GET" or not self.known(task_id):
            return self.error(404, "no such task")
        stage = self.poll(task_id)
        answer: dict[str, object] = {"status": "queued", "progress": 0.0}
        if stage.name == "running":
            answer = {"status": "running", "progress": stage.share}
        elif stage.name == "failed":
            answer = {"status": "failed", "progress": 0.4, "error": stage.reason}
        elif stage.name == "succeeded":
            answer = {"status": "succeeded", "progress": 1.0}
            answer["output_url"] = self.output_url(task_id)
        return Reply.json(200, answer)
