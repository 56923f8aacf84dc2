"""Provider names mapped to their classes: the one place a new provider is added."""

from __future__ import annotations

from collections.abc import Callable

from engine.generation.local import LocalProvider
from engine.generation.provider import ProviderSettings, VideoProvider

# Each maker takes the provider's settings (unused by `local`) and returns a ready provider.
PROVIDERS: dict[str, Callable[[ProviderSettings], VideoProvider]] = {
    "local": lambda _settings: LocalProvider(),
}


def make_provider(name: str, settings: ProviderSettings) -> VideoProvider:
    """Return the provider called `name`, set up with `settings`; KeyError if none is."""
    return PROVIDERS[name](settings)
