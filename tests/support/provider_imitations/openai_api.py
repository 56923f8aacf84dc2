"""OpenAI's video API as its reference documents it: Bearer key; POST /v1/videos as
multipart/form-data (prompt, model, seconds, size, optional input_reference file) answering a
video object; GET /v1/videos/{id} with status queued / in_progress (progress in percent) /
completed / failed (with error.code and error.message); GET /v1/videos/{id}/content streaming
the MP4 once completed; errors as {"error": {"message", "type", "param", "code"}}."""

from __future__ import annotations

from pathlib import Path

from tests.support.provider_imitations.server import API_KEY, Imitation, Reply, Seen, Stage

SIZES = {"720x1280", "1280x720", "1024x1792", "1792x1024"}
SECONDS = {"4", "8", "12"}


class OpenAIImitation(Imitation):
    """The OpenAI video (Sora) API under /v1."""

    def __init__(self, clip: Path) -> None:
        super().__init__(clip)
        self.jobs: dict[str, dict[str, str]] = {}
        self.completed: set[str] = set()

    def authorized(self, seen: Seen) -> bool:
        return seen.headers.get("authorization") == f"Bearer {API_KEY}"

    def is_create(self, seen: Seen) -> bool:
        return seen.method == "POST"

    def error(self, status: int, message: str) -> Reply:
        kind = "invalid_request_error" if status < 500 else "server_error"
        error = {"message": message, "type": kind, "param": None, "code": None}
        return Reply.json(status, {"error": error})

    def route(self, seen: Seen) -> Reply:
        if seen.method == "POST" and seen.path == "/v1/videos":
            return self._create(seen)
        rest = seen.path.removeprefix("/v1/videos/").split("?")[0]
        video_id, _, tail = rest.partition("/")
        if seen.method != "GET" or video_id not in self.jobs:
            return self.error(404, f"No video found with id '{video_id}'")
        if tail == "content":
            if video_id not in self.completed:
                return self.error(404, "The video is not ready")
            return self.output()
        return Reply.json(200, self._video(video_id, self.poll(video_id)))

    def _create(self, seen: Seen) -> Reply:
        if not seen.headers.get("content-type", "").startswith("multipart/form-data"):
            return self.error(400, "The request must be multipart/form-data")
        form = seen.form()
        if not form.get("prompt"):
            return self.error(400, "Missing required parameter: 'prompt'.")
        if form.get("size", "720x1280") not in SIZES or form.get("seconds", "4") not in SECONDS:
            return self.error(400, "Invalid size or seconds")
        video_id = self.new_task("video_")
        self.jobs[video_id] = {
            "model": str(form.get("model", "sora-2")),
            "seconds": str(form.get("seconds", "4")),
            "size": str(form.get("size", "720x1280")),
        }
        return Reply.json(200, self._video(video_id, Stage("waiting")))

    def _video(self, video_id: str, stage: Stage) -> dict[str, object]:
        video: dict[str, object] = {
            "id": video_id,
            "object": "video",
            "created_at": 1767225600,
            **self.jobs[video_id],
            "progress": 0,
            "status": "queued",
        }
        if stage.name == "running":
            return {**video, "status": "in_progress", "progress": round(stage.share * 100)}
        if stage.name == "failed":
            error = {"code": "moderation_blocked", "message": stage.reason}
            return {**video, "status": "failed", "error": error}
        if stage.name == "succeeded":
            self.completed.add(video_id)
            return {**video, "status": "completed", "progress": 100, "completed_at": 1767225660}
        return video
