"""Which render clip configuration is in force: one rule for the workers, the projector, the
API and the CLI, so they agree however many APIs number versions at once.

The config topic has a single partition, so its order is total. An update supersedes the
config in force when its version is higher, or when it has the same version and other values:
two API replicas that both read version N and both wrote N+1 are ordered by the log, and the
later one is in force, which is also the one record of the key that compaction keeps. A lower
version read later is stale (a slow or foreign producer) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from events.payloads import RenderClipConfig, RenderConfigUpdated

DEFAULTS = (0, RenderClipConfig())


def supersedes(update: RenderConfigUpdated, version: int, config: RenderClipConfig) -> bool:
    """True if `update`, read after (version, config) in the log, is the config in force now."""
    return update.version > version or (update.version == version and update.config != config)


def config_in_force(updates: Iterable[RenderConfigUpdated]) -> tuple[int, RenderClipConfig]:
    """The (version, config) in force after these updates, in log order; version 0: defaults."""
    version, config = DEFAULTS
    for update in updates:
        if supersedes(update, version, config):
            version, config = update.version, update.config
    return version, config


def highest_version(updates: Iterable[RenderConfigUpdated]) -> int:
    """The highest version any update carries (0 if none): the next one is numbered above it."""
    return max((u.version for u in updates), default=0)
