"""One projector per read-model database and name: a lock held for the projector's whole run.

PostgreSQL: a session advisory lock on a connection kept open while the projector runs (the
server drops it with the session if the process dies). SQLite: an exclusive `flock` on a file beside
the database (the kernel drops it with the process). An in-memory SQLite database belongs to
one process, so it needs none. The stored offsets are also compared-and-set on every batch
(projections.store.save_offsets), which catches a second writer the lock cannot see.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text


class ProjectorBusy(RuntimeError):
    """Another projector of the same name is folding into the same database."""

    def __init__(self, name: str, where: str) -> None:
        super().__init__(
            f"another projector named {name!r} is already folding into {where}; "
            "stop it first, or give this one another BEATSTITCH_PROJECTOR_NAME "
            "(and its own database) to fold a second copy"
        )


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a projector name (stable across processes)."""
    digest = hashlib.sha256(f"beatstitch-projector:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ProjectorLock:
    """Try to become the one projector of `name` on `engine`; `release()` when done."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None
        self._file: IO[Any] | None = None

    @property
    def where(self) -> str:
        """The database, as a person reads it (no password)."""
        return self.engine.url.render_as_string(hide_password=True)

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True if this process holds it now."""
        url = self.engine.url
        if url.get_backend_name() == "postgresql":
            return self._try_advisory()
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return self._try_flock(Path(f"{url.database}.projector-{self.name}.lock"))
        return True

    def acquire(self) -> None:
        """Take the lock or raise ProjectorBusy with a sentence saying what to do."""
        if not self.try_acquire():
            raise ProjectorBusy(self.name, self.where)

    def release(self) -> None:
        """Let the next projector in (also happens when this process ends)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                # Unlock explicitly: closing a pooled connection keeps its session (and lock).
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(self.name)}
                )
                self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()  # closing the file drops its flock
            self._file = None

    def _try_advisory(self) -> bool:
        conn = self.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(self.name)})
        held = bool(got.scalar_one())
        conn.commit()
        if held:
            self._conn = conn
        else:
            conn.close()
        return held

    def _try_flock(self, path: Path) -> bool:
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True
