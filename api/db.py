"""The API's database: the read models it queries and the tables it owns, in one database."""

from __future__ import annotations

from sqlalchemy import Engine

from projections.db import run_migrations
from projections.db import upgrade as upgrade_read_models


def upgrade_api_tables(engine: Engine) -> None:
    """Bring the API's own tables to their newest Alembic revision."""
    run_migrations(engine, "api:migrations")


def upgrade_all(engine: Engine) -> None:
    """Migrate the read models and the API's tables."""
    upgrade_read_models(engine)
    upgrade_api_tables(engine)
