"""The render clip config's history: every version, what changed from the one before, and
which renders ran under it (pure: the caller reads the rows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.payloads import RenderClipConfig

DEFAULTS_VERSION = 0
DEFAULTS_BY = "embedded defaults"


@dataclass(frozen=True)
class ConfigVersion:
    """One published config version (0: the defaults built into the workers)."""

    version: int
    config: dict[str, Any]
    updated_by: str
    occurred_at: datetime | None


@dataclass(frozen=True)
class Change:
    """One field whose value differs from the version before."""

    field: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.before)} → {_show(self.after)}"


@dataclass(frozen=True)
class HistoryEntry:
    """A version, what it changed and the renders whose clip tasks ran under it."""

    version: ConfigVersion
    changes: list[Change]
    renders: list[str] = field(default_factory=list)


def _show(value: Any) -> str:
    return "(unset)" if value is _UNSET else repr(value)


_UNSET: Any = object()


def embedded_defaults() -> ConfigVersion:
    """Version 0: what a worker runs with before any RenderConfigUpdated."""
    return ConfigVersion(
        DEFAULTS_VERSION, RenderClipConfig().model_dump(mode="json"), DEFAULTS_BY, None
    )


def config_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The fields whose values differ, in name order; a field one side lacks shows as unset."""
    names = sorted(set(before) | set(after))
    return [
        Change(name, before.get(name, _UNSET), after.get(name, _UNSET))
        for name in names
        if before.get(name, _UNSET) != after.get(name, _UNSET)
    ]


def config_history(
    versions: Iterable[ConfigVersion], renders_by_version: Mapping[int | None, Iterable[str]]
) -> list[HistoryEntry]:
    """Every version in number order, the embedded defaults first, each diffed against the
    one before it; renders sorted by id."""
    known = {v.version: v for v in versions}
    known.setdefault(DEFAULTS_VERSION, embedded_defaults())
    entries: list[HistoryEntry] = []
    previous: Mapping[str, Any] = {}
    for number in sorted(known):
        v = known[number]
        changes = [] if number == DEFAULTS_VERSION else config_diff(previous, v.config)
        renders = sorted(set(renders_by_version.get(number, ())))
        entries.append(HistoryEntry(v, changes, renders))
        previous = v.config
    return entries
