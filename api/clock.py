"""Ids and the wall clock, read at the edge (handlers), never inside pure code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A random id with a readable prefix, e.g. proj-1f3a…"""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; SQLite hands back naive ones for timezone-aware columns."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
