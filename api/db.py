"""The API's database: the read models it queries and the tables it owns, in one database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from projections.db import upgrade as upgrade_read_models


def upgrade_api_tables(engine: Engine) -> None:
    """Bring the API's own tables to their newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", "api:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def upgrade_all(engine: Engine) -> None:
    """Migrate the read models and the API's tables."""
    upgrade_read_models(engine)
    upgrade_api_tables(engine)
