"""The worker's gate for every path and URL an event names, before anything is read or fetched.

Local paths must resolve inside the media or artifacts root (domain.confinement); remote
sources must pass domain.remote_sources, resolving their host off the event loop."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from agents.settings import WorkerSettings
from domain.confinement import confine
from domain.remote_sources import (
    Resolve,
    SourceRefused,
    parse_allowed_hosts,
    remote_refusal,
)


def system_resolve(host: str, port: int) -> Iterable[str]:
    """Every address the system resolver gives for host:port."""
    return {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}


@dataclass(frozen=True)
class SourceGuard:
    """Vets paths and URLs from events against the roots and the host allowlist."""

    roots: tuple[Path, ...]
    allowed_hosts: frozenset[str] = frozenset()
    resolve: Resolve = system_resolve

    @classmethod
    def of(cls, worker: WorkerSettings, also: tuple[Path, ...] = ()) -> SourceGuard:
        """The guard a worker's settings describe; `also`: more roots (the store's cache)."""
        return cls(
            roots=(Path(worker.media_dir).resolve(), Path(worker.artifacts_dir).resolve(), *also),
            allowed_hosts=parse_allowed_hosts(worker.remote_hosts_allowed),
        )

    def local(self, path: str) -> str:
        """The resolved path inside a root; raises PathOutsideRoot."""
        return str(confine(path, self.roots))

    async def source(self, where: str, *, remote: bool) -> str:
        """What to open for a clip source: the URL if allowed, the confined local path.

        Raises SourceRefused or PathOutsideRoot; nothing is connected to or read before."""
        if not remote:
            return self.local(where)
        refusal = await asyncio.to_thread(remote_refusal, where, self.allowed_hosts, self.resolve)
        if refusal is not None:
            raise SourceRefused(refusal)
        return where


def route_remote_sources_through(proxy_url: str) -> None:
    """Make every FFmpeg open of this process and of the pool processes it starts later go
    through the egress proxy (FFmpeg reads `http_proxy` from the environment)."""
    os.environ["http_proxy"] = proxy_url
    # A no_proxy list would let FFmpeg reach the hosts it names directly.
    for name in ("no_proxy", "NO_PROXY"):
        os.environ.pop(name, None)
