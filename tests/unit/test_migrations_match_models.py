"""The migrations build exactly the tables the models describe (the read models' and the
API's own), so a fresh database and an upgraded one hold the same columns and indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from api.db import upgrade_all
from api.models import ApiBase
from projections.db import make_engine
from projections.models import Base


@pytest.mark.parametrize("metadata", [Base.metadata, ApiBase.metadata], ids=["read", "api"])
def test_upgrading_to_head_gives_the_models_tables(tmp_path: Path, metadata: MetaData) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'beatstitch.db'}")
    upgrade_all(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, kind, _p: kind != "table" or name in metadata.tables
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == [], f"a migration is missing for: {diff}"
