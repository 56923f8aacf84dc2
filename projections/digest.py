"""Table digests: one hash per read-model table, equal whenever the rows are equal."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from projections.models import READ_MODEL_TABLES, Base
from projections.window_models import ANALYTICS_TABLES


@dataclass(frozen=True)
class TableDigest:
    """Row count and sha256 of one table's canonical content."""

    table: str
    rows: int
    sha256: str


def _canonical(value: Any) -> Any:
    # Databases differ in how they hand back times (SQLite drops the zone) and JSON.
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    return value


def table_digest(engine: Engine, name: str) -> TableDigest:
    """Digest one table: rows sorted by primary key in Python, so collation does not matter."""
    table = Base.metadata.tables[name]
    pk = [c.name for c in table.primary_key.columns]
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(table))]
    rows.sort(key=lambda r: tuple(r[c] for c in pk))
    h = hashlib.sha256()
    for row in rows:
        line = json.dumps(
            {k: _canonical(v) for k, v in row.items()}, sort_keys=True, separators=(",", ":")
        )
        h.update(line.encode() + b"\n")
    return TableDigest(table=name, rows=len(rows), sha256=h.hexdigest())


def database_digest(engine: Engine) -> list[TableDigest]:
    """Digest every read-model table (not the offsets, which are bookkeeping)."""
    return [table_digest(engine, name) for name in READ_MODEL_TABLES]


def analytics_digest(engine: Engine) -> list[TableDigest]:
    """Digest every analytics window table (projections.window_models)."""
    return [table_digest(engine, name) for name in ANALYTICS_TABLES]
