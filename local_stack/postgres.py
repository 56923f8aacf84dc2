"""A throwaway PostgreSQL server for the tests and benches, started from the Debian binaries."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from local_stack.errors import PostgresError
from local_stack.ports import free_tcp_ports

_RUN_AS = "postgres"  # PostgreSQL refuses to run as root


def _bin_dir() -> Path:
    """The bin directory of the newest PostgreSQL server Debian installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresError(
            "no PostgreSQL server found under /usr/lib/postgresql; "
            "`make test` installs it (scripts/install-system-deps.sh)"
        )
    return Path(found[-1]).parent


class LocalPostgres:
    """initdb + pg_ctl in a temporary directory, on a free loopback port."""

    def __init__(self, durable: bool = False) -> None:
        self.bin = _bin_dir()
        (self.port,) = free_tcp_ports(1)
        self.root = Path(tempfile.mkdtemp(prefix="beatstitch-pg-"))
        self.data = self.root / "data"
        self.durable = durable
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        """Run one of the server's programs, as the postgres user when we are root."""
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", _RUN_AS, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> str:
        """Create and start the cluster; return a SQLAlchemy URL of its `postgres` database."""
        if self._as_root:
            pw = pwd.getpwnam(_RUN_AS)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "beatstitch",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        # Tests trade durability for speed; the bench asks for a durable server.
        fast = "" if self.durable else " -c fsync=off -c synchronous_commit=off"
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1{fast}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self.url("postgres")

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://beatstitch@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a fresh, uniquely named database; return its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
