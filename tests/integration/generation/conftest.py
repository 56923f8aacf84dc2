"""The real small MP4 every provider imitation serves as its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.generation.local import render_local_clip
from engine.generation.spec import ClipSpec


@pytest.fixture(scope="session")
def provider_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second of title card at 160x120 (the smallest height a spec takes), made once."""
    spec = ClipSpec(
        prompt="imitated provider output", duration_s=1.0, fps=12, width=160, height=120
    )
    return render_local_clip(spec, tmp_path_factory.mktemp("provider_clip") / "clip.mp4")
