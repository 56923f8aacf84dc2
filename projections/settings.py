"""Where the read models live."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """Read-model database, from BEATSTITCH_DATABASE_URL (SQLite under .data/ by default)."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    database_url: str = "sqlite:///.data/beatstitch.db"
    # The projector's name in the offsets table; a second projector needs another name.
    projector_name: str = "projector"
    projector_batch_size: int = 5000


ANALYTICS_NAME = "analytics-windows"


class AnalyticsSettings(BaseSettings):
    """The analytics consumer's name and grace, from BEATSTITCH_ANALYTICS_*."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_ANALYTICS_", extra="ignore")

    # Its offsets' name; a second analytics consumer on the same database needs another.
    name: str = Field(default=ANALYTICS_NAME, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    # How long after a window's end (in event time, against its partition's newest event) an
    # event still changes it (at most a day).
    grace_s: int = Field(default=600, ge=0, le=86_400)
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    # PostgreSQL: a role (made by the operator) granted SELECT on the window tables, and on
    # nothing else, so a dashboard can read the figures without seeing accounts or tokens.
    reader_role: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
