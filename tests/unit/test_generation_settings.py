"""The provider settings a deployment gives: which providers are usable, what each client is
made with, and keys that never print."""

from __future__ import annotations

import pytest

from api.generated_media import clip_file_name
from api.routes.generations import aspect_ratio
from domain.generation_settings import GenerationSettings

KEY = "rw-secret-123456"


def test_a_remote_provider_is_usable_only_with_its_key_or_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BEATSTITCH_RUNWAYML_API_KEY", "BEATSTITCH_CUSTOM_VIDEO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    bare = GenerationSettings()
    assert bare.configured("local") and not bare.configured("runway")
    assert not bare.configured("custom")
    monkeypatch.setenv("BEATSTITCH_RUNWAYML_API_KEY", KEY)
    monkeypatch.setenv("BEATSTITCH_CUSTOM_VIDEO_API_URL", "http://videos.internal:9000")
    monkeypatch.setenv("BEATSTITCH_VIDEO_API_RETRY_ATTEMPTS", "5")
    monkeypatch.setenv("BEATSTITCH_RUNWAYML_MODEL", "gen4_turbo")
    settings = GenerationSettings()
    assert settings.configured("runway") and settings.configured("custom")
    runway = settings.for_provider("runway")
    assert runway.api_key.get_secret_value() == KEY and runway.retry_attempts == 5
    assert runway.model == "gen4_turbo" and runway.base_url == "https://api.dev.runwayml.com"
    assert settings.for_provider("custom").base_url == "http://videos.internal:9000"
    # Printed, logged or put in an error, the settings show no key.
    assert KEY not in repr(settings) and KEY not in str(runway) and KEY not in repr(runway)


def test_a_default_provider_that_is_not_a_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEATSTITCH_VIDEO_GENERATION_PROVIDER", "../evil")
    with pytest.raises(ValueError, match="video_generation_provider"):
        GenerationSettings()


def test_a_generated_clip_gets_a_name_and_shape_a_person_reads() -> None:
    assert clip_file_name("Summer at the lake!", "gen-1") == "summer-at-the-lake-gen-1.mp4"
    assert clip_file_name("", "gen-2") == "generated-gen-2.mp4"
    assert clip_file_name("/../../etc/passwd", "gen-3") == "etc-passwd-gen-3.mp4"
    assert aspect_ratio(1280, 720) == "16:9" and aspect_ratio(720, 1280) == "9:16"
    assert aspect_ratio(None, 720) is None
