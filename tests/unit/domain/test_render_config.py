"""Which config is in force: the workers, the projector and compaction agree on it even
when two API replicas number an update alike (the log's order decides)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.config_state import DEFAULT, consider
from domain.render_config import config_in_force, highest_version, supersedes
from events.base import make_event
from events.codec import encode
from events.payloads import RenderClipConfig, RenderConfigUpdated
from projections.folds import fold_config

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def update(version: int, parallelism: int, by: str = "api-1") -> RenderConfigUpdated:
    return RenderConfigUpdated(
        version=version, config=RenderClipConfig(max_parallelism=parallelism), updated_by=by
    )


def test_a_higher_version_or_the_same_version_with_other_values_supersedes() -> None:
    live = RenderClipConfig(max_parallelism=2)
    assert supersedes(update(4, 2), 3, live)
    assert supersedes(update(3, 5), 3, live)  # numbered alike by another replica, later
    assert not supersedes(update(3, 2), 3, live)  # the same update again
    assert not supersedes(update(2, 6), 3, live)  # a stale producer


def test_two_replicas_numbering_alike_agree_everywhere_on_the_later_one() -> None:
    # Both API replicas read version 3 and wrote version 4; the log put replica 2's last.
    log = [update(3, 3), update(4, 2, by="api-1"), update(4, 6, by="api-2")]
    assert config_in_force(log) == (4, RenderClipConfig(max_parallelism=6))
    assert highest_version(log) == 4

    # A worker that read the whole log:
    live = DEFAULT
    for u in log:
        live = consider(live, encode(make_event(u, trace_id="t"))).live
    assert (live.version, live.config.max_parallelism) == (4, 6)

    # The projector's read model (rows by version; the API shows the highest):
    rows: dict[int, object] = {}
    for i, u in enumerate(log):
        env = make_event(u, trace_id="t", occurred_at=T0 + timedelta(seconds=i))
        rows[u.version] = fold_config(rows.get(u.version), env)  # type: ignore[arg-type]
    shown = rows[max(rows)]
    assert (shown.version, shown.config["max_parallelism"]) == (4, 6)  # type: ignore[attr-defined]

    # A fresh worker after compaction, which keeps only the newest record of the key:
    assert config_in_force(log[-1:]) == config_in_force(log)


def test_the_same_update_delivered_again_changes_nothing() -> None:
    env = make_event(update(2, 3), trace_id="t")
    row = fold_config(None, env)
    assert fold_config(row, env) is row
    live = consider(DEFAULT, encode(env)).live
    assert consider(live, encode(env)).outcome == "stale"
