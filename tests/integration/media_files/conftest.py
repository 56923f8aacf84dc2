"""Music for the picture tests of the media module."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sample_media import write_tone


@pytest.fixture(scope="package")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four seconds of tone."""
    return write_tone(tmp_path_factory.mktemp("song") / "song.wav", 4.0)
