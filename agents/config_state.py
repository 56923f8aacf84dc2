"""Deciding what a message on the config topic does to the live configuration (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.render_config import supersedes
from events.codec import DecodeError, decode
from events.payloads import RenderClipConfig, RenderConfigUpdated


@dataclass(frozen=True)
class LiveConfig:
    """The configuration a worker runs with, and the version it came from (0: defaults)."""

    version: int
    config: RenderClipConfig


@dataclass(frozen=True)
class ConfigDecision:
    """The outcome of one config message: applied, stale or rejected (with the reason), and
    the message's trace id when it has one."""

    outcome: str
    live: LiveConfig
    reason: str = ""
    trace_id: str | None = None


DEFAULT = LiveConfig(version=0, config=RenderClipConfig())


def consider(live: LiveConfig, raw: bytes | None) -> ConfigDecision:
    """Apply a valid update that supersedes the live config (domain.render_config); an
    invalid one is rejected and the old config stays."""
    try:
        env = decode(raw)
    except DecodeError as exc:
        return ConfigDecision("rejected", live, exc.reason)
    if not isinstance(env.payload, RenderConfigUpdated):
        reason = f"{env.type} does not belong on the config topic"
        return ConfigDecision("rejected", live, reason, env.trace_id)
    update: RenderConfigUpdated = env.payload
    if not supersedes(update, live.version, live.config):
        reason = f"version {update.version} does not supersede {live.version}"
        return ConfigDecision("stale", live, reason, env.trace_id)
    return ConfigDecision("applied", LiveConfig(update.version, update.config), "", env.trace_id)
