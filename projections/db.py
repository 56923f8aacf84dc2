"""Database engines and migrations for the read models."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

# Any constant: PostgreSQL advisory locks are keyed by an application-chosen integer.
_MIGRATION_LOCK_KEY = 0x6265_6174


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while the projector writes; NORMAL sync is crash-safe in WAL.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and its parent directory is made."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A connection per API worker thread (40) and as many again for requests that hold
        # one while they wait for a thread: with SQLAlchemy's default 5 + 10, a burst of
        # authenticated writes held every connection while the threads waited for one.
        engine = create_engine(url, pool_size=40, max_overflow=40)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Let one process at a time migrate: the API and the projector start together."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                conn.commit()
    elif url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with Path(f"{url.database}.migrate-lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


def run_migrations(engine: Engine, script_location: str) -> None:
    """Bring one Alembic history to its head, holding the migration lock."""
    config = Config()
    config.set_main_option("script_location", script_location)
    with migration_lock(engine), engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def upgrade(engine: Engine) -> None:
    """Bring the read-model schema to the newest Alembic revision."""
    run_migrations(engine, "projections:migrations")
