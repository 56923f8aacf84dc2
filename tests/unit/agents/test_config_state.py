"""Hot config decisions: newer valid versions apply, anything else leaves the config alone."""

from __future__ import annotations

import json

from agents.config_state import DEFAULT, consider
from events.base import make_event
from events.codec import encode
from events.payloads import RenderClipConfig, RenderConfigUpdated


def update(version: int, **values: int) -> bytes:
    config = RenderClipConfig(**values)  # type: ignore[arg-type]
    return encode(make_event(RenderConfigUpdated(version=version, config=config), trace_id="t"))


def test_a_newer_valid_version_is_applied() -> None:
    decision = consider(DEFAULT, update(3, max_parallelism=6))
    assert decision.outcome == "applied"
    assert decision.live.version == 3 and decision.live.config.max_parallelism == 6


def test_an_older_version_is_stale() -> None:
    live = consider(DEFAULT, update(5, max_parallelism=6)).live
    decision = consider(live, update(4, max_parallelism=1))
    assert decision.outcome == "stale" and decision.live is live


def test_an_out_of_range_config_is_rejected_naming_the_field() -> None:
    live = consider(DEFAULT, update(1, per_video_limit=3)).live
    wire = json.loads(update(2))
    wire["payload"]["config"]["max_parallelism"] = 9  # the range is 1..6
    decision = consider(live, json.dumps(wire).encode())
    # What the warning log tells an operator: the field and the rule it broke.
    assert decision.outcome == "rejected"
    assert "payload.config.max_parallelism" in decision.reason
    assert "less than or equal to 6" in decision.reason
    assert decision.live is live and decision.live.config.per_video_limit == 3


def test_garbage_is_rejected() -> None:
    assert consider(DEFAULT, b"{nope").outcome == "rejected"


def test_the_decision_carries_the_message_trace_id_so_it_is_decoded_once() -> None:
    assert consider(DEFAULT, update(1)).trace_id == "t"
    assert consider(DEFAULT, b"{nope").trace_id is None


def _foreign(version: int, event_version: int, placeholder: str) -> bytes:
    """A config event as another producer could write it, naming a placeholder file."""
    wire = json.loads(update(version, max_parallelism=2))
    wire["version"] = event_version
    wire["payload"]["config"]["placeholder_asset_path"] = placeholder
    return json.dumps(wire).encode()


def test_a_config_naming_another_placeholder_file_is_rejected_with_the_reason() -> None:
    live = consider(DEFAULT, update(1, per_video_limit=3)).live
    for event_version in (1, 2):
        decision = consider(live, _foreign(2, event_version, "/media/projects/p/evil.mp4"))
        # What the operator reads in render_worker.config_rejected: the field cannot be set.
        assert decision.outcome == "rejected"
        assert "placeholder_asset_path cannot be set" in decision.reason
        assert decision.live is live


def test_a_version_1_config_with_the_old_default_placeholder_still_applies() -> None:
    # Every producer of ours wrote this value before the placeholder moved under artifacts/.
    decision = consider(DEFAULT, _foreign(4, 1, "media/fallback/clip_placeholder.mp4"))
    assert decision.outcome == "applied"
    assert decision.live.version == 4 and decision.live.config.max_parallelism == 2
