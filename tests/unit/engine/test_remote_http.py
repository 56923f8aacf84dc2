"""The pure rules every remote provider shares: Retry-After, error words, video signatures,
sizes mapped to what each provider takes."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from engine.generation.openai_video import openai_seconds, openai_size
from engine.generation.pika import pika_input
from engine.generation.provider import ProviderSettings
from engine.generation.registry import PROVIDERS, make_provider
from engine.generation.remote_http import (
    RETRY_AFTER_CAP_S,
    checked_url,
    is_video_head,
    provider_message,
    retry_after_s,
)
from engine.generation.runway import runway_ratio, runway_seconds
from engine.generation.spec import ClipSpec


def test_retry_after_is_read_as_seconds_or_an_http_date_and_capped() -> None:
    now = 1_800_000_000.0
    assert retry_after_s("3", now) == 3.0
    assert retry_after_s(formatdate(now + 7, usegmt=True), now) == pytest.approx(7.0)
    assert retry_after_s(formatdate(now - 60, usegmt=True), now) == 0.0  # already past
    assert retry_after_s("86400", now) == RETRY_AFTER_CAP_S  # a day is not worth waiting
    assert retry_after_s(None) is None and retry_after_s("soon") is None


def test_the_providers_own_words_are_found_in_each_error_shape() -> None:
    assert provider_message({"error": "Invalid ratio"}) == "Invalid ratio"  # Runway, ours
    assert provider_message({"error": {"message": "Bad size", "type": "x"}}) == "Bad size"
    assert provider_message({"detail": [{"loc": ["body"], "msg": "too long"}]}) == "too long"
    assert provider_message(b"plain words") == "plain words"
    assert provider_message(b"<html><body>502 Bad Gateway</body></html>") == ""  # no page soup


def test_videos_are_known_by_their_first_bytes() -> None:
    assert is_video_head(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00")  # MP4
    assert is_video_head(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00")  # MOV
    assert is_video_head(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81")  # WebM
    assert not is_video_head(b"<!doctype html>")
    assert not is_video_head(b"")


def test_only_http_urls_are_fetched() -> None:
    assert checked_url("https://cdn.example.com/a.mp4")
    for bad in ("file:///etc/passwd", "ftp://host/a.mp4", "/relative.mp4", "http://"):
        with pytest.raises(ValueError):
            checked_url(bad)


def test_lengths_and_sizes_map_to_what_each_provider_takes() -> None:
    spec = ClipSpec(prompt="p", duration_s=6.0, width=720, height=1280)
    assert openai_seconds(spec) == 4 and openai_size(spec) == "720x1280"  # 6 s: 4 on a tie
    assert openai_seconds(spec.model_copy(update={"duration_s": 11.0})) == 12
    assert runway_seconds(spec.model_copy(update={"duration_s": 0.5})) == 2
    assert runway_ratio(spec) == "720:1280"
    assert pika_input(spec)["duration"] == 5 and pika_input(spec)["aspect_ratio"] == "9:16"


def test_every_remote_provider_is_registered_and_hides_its_key() -> None:
    settings = ProviderSettings.model_validate({"api_key": "sk-live-secret-value"})
    for name in ("runway", "openai", "pika", "custom"):
        provider = make_provider(name, settings)
        assert provider.name == name and not provider.runs_on_cpu
        assert "sk-live-secret-value" not in repr(vars(provider))
    assert set(PROVIDERS) >= {"local", "runway", "openai", "pika", "custom"}
