"""The read models' migrations build exactly the tables the models describe, so a fresh
database and an upgraded one hold the same columns and indexes."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from projections.db import make_engine, upgrade
from projections.models import Base


def test_upgrading_to_head_gives_the_models_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"a migration is missing for: {diff}"
