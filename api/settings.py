"""Settings of the HTTP API, from BEATSTITCH_* environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Where the API listens, where uploads go and how long it waits for the projector."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Uploads, thumbnails and timelines; workers read media from here, so it must be shared.
    media_dir: str = ".data/media"
    # The workers' outputs and beat grids (the workers' own setting); with media_dir, the
    # only folders the API serves files from.
    artifacts_dir: str = "artifacts"
    # Larger uploads are cut off while streaming and answered 413.
    upload_max_bytes: int = 512 * 1024 * 1024
    # Every other request body is JSON: refused over this size before it is read (413).
    json_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Media caps (422 with a sentence): photos by their header's pixel count before any
    # decoding, clips by size and length, songs by length (the beat analysis reads it all).
    max_image_pixels: int = Field(default=50_000_000, ge=1)
    max_video_width: int = Field(default=4096, ge=1)
    max_video_height: int = Field(default=4096, ge=1)
    max_video_s: float = Field(default=600.0, gt=0)
    max_audio_s: float = Field(default=1200.0, gt=0)
    # Quotas: photos and clips per project (409), bytes stored per account (413).
    max_uploads_per_project: int = Field(default=200, ge=1)
    max_bytes_per_user: int = Field(default=10 * 1024**3, ge=1)
    # How long a bearer token from POST /api/v1/auth/login is valid; expired ones are purged.
    token_ttl_hours: int = Field(default=24 * 7, ge=1)
    # After an upload, ask a worker for its proxy (a photo or clip at the project's output
    # size, the song as AAC) so renders decode little; off, renders read the originals.
    upload_proxies: bool = True
    # A write that produced an event answers once the projector has folded it, or 503 after this.
    projection_wait_s: float = 10.0
    # A timeline's segments travel in one RenderRequested, and a Kafka message holds about
    # 1 MB: 1,000 segments (about 350 kB of EDL) is far above any song's beat count / 1.
    max_segments: int = 1000
    # Progress streams (SSE) one user may have open at once; the next one is answered 429.
    sse_streams_per_user: int = 8
    # A progress stream ends after this long with a `reconnect` event; the client resumes
    # with Last-Event-ID, so no stream pins the API's memory or a proxy's connection forever.
    sse_max_lifetime_s: float = 300.0
    # open: anyone may register; closed: only an administrator creates accounts
    # (`beatstitch users create`, or POST /api/v1/users with an admin's token).
    registration: Literal["open", "closed"] = "open"
    # Logins and registrations from one client address, and wrong passwords (or
    # registrations) for one account, within any minute; the next one is answered 429.
    auth_attempts_per_address_per_minute: int = Field(default=60, ge=1)
    auth_failures_per_account_per_minute: int = Field(default=10, ge=1)
