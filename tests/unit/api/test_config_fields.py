"""The admin page's view of the render clip config: ranges from the model's own schema, and
what each version changed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.config_fields import changes, changes_newest_first, config_fields
from events.payloads.config import RenderClipConfig


def test_every_setting_is_listed_with_the_range_the_model_enforces() -> None:
    fields = config_fields()
    assert [f.name for f in fields] == list(RenderClipConfig.model_fields)
    by_name = {f.name: f for f in fields}
    assert (by_name["max_parallelism"].minimum, by_name["max_parallelism"].maximum) == (1, 6)
    assert by_name["max_parallelism"].default == 4
    assert by_name["retry_backoff_base_ms"].maximum == 60_000
    defaults = RenderClipConfig().model_dump()
    for f in fields:
        assert f.type == "integer" and f.description, f
        assert f.minimum is not None and f.maximum is not None
        assert f.default == defaults[f.name]
        # The ends are accepted and one past them is refused: the listed range is the real one.
        RenderClipConfig.model_validate({f.name: f.minimum})
        RenderClipConfig.model_validate({f.name: f.maximum})
        for outside in (f.minimum - 1, f.maximum + 1):
            with pytest.raises(ValidationError):
                RenderClipConfig.model_validate({f.name: outside})


def test_changes_name_each_value_that_differs() -> None:
    before = {"max_parallelism": 4, "max_retry": 2}
    after = {"max_parallelism": 2, "max_retry": 2}
    assert [c.model_dump() for c in changes(before, after)] == [
        {"field": "max_parallelism", "before": 4, "after": 2}
    ]
    assert changes(after, after) == []


def test_the_oldest_of_a_run_is_compared_with_the_version_below_or_the_defaults() -> None:
    defaults = RenderClipConfig().model_dump()
    v1 = {**defaults, "max_retry": 5}
    v2 = {**v1, "max_parallelism": 1, "per_video_limit": 1}
    newest_first = changes_newest_first([v2, v1], None)
    assert [[c.field for c in run] for run in newest_first] == [
        ["max_parallelism", "per_video_limit"],
        ["max_retry"],
    ]
    assert newest_first[1][0].before == defaults["max_retry"]
    # A later page: its oldest is compared with the version just below it.
    (only,) = changes_newest_first([v2], v1)
    assert [(c.field, c.before, c.after) for c in only] == [
        ("max_parallelism", 4, 1),
        ("per_video_limit", 2, 1),
    ]
