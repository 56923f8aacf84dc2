"""Where the read models live."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """Read-model database, from BEATSTITCH_DATABASE_URL (SQLite under .data/ by default)."""

    model_config = SettingsConfigDict(env_prefix="BEATSTITCH_", extra="ignore")

    database_url: str = "sqlite:///.data/beatstitch.db"
    # The projector's name in the offsets table; a second projector needs another name.
    projector_name: str = "projector"
    projector_batch_size: int = 5000
