"""The source guard of unit tests whose sources are fakes (paths like /media/v.mp4 that
are never opened, the CDN host `cdn`): the whole file system is the root and `cdn` is
allowed. The security tests build their own, narrow guards."""

from __future__ import annotations

from pathlib import Path

from agents.source_guard import SourceGuard

FAKE_SOURCES = SourceGuard(roots=(Path("/"),), allowed_hosts=frozenset({"cdn"}))
