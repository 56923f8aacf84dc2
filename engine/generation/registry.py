"""Provider names mapped to their classes: the one place a new provider is added."""

from __future__ import annotations

from collections.abc import Callable

from engine.generation.custom import CustomProvider
from engine.generation.local import LocalProvider
from engine.generation.openai_video import OpenAIVideoProvider
from engine.generation.pika import PikaProvider
from engine.generation.provider import ProviderSettings, VideoProvider
from engine.generation.runway import RunwayProvider

# Each maker takes the provider's settings (unused by `local`) and returns a ready provider.
PROVIDERS: dict[str, Callable[[ProviderSettings], VideoProvider]] = {
    "local": lambda _settings: LocalProvider(),
    "runway": RunwayProvider,
    "openai": OpenAIVideoProvider,
    "pika": PikaProvider,
    "custom": CustomProvider,
}


def make_provider(name: str, settings: ProviderSettings) -> VideoProvider:
    """Return the provider called `name`, set up with `settings`; KeyError if none is."""
    return PROVIDERS[name](settings)
