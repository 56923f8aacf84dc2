"""GET /api/v1/analytics/windows on the running API, after `beatstitch analytics` folded a
run spread over minutes: the recount's figures, for administrators only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from api.routes.analytics import Window
from events.kafka_io import EventProducer
from tests.support.api_stack import Stack, sign_up, sign_up_admin
from tests.support.cli import run_cli
from tests.support.window_events import W0, recount, spread_run


async def test_an_administrator_reads_the_windows_the_consumer_folded(stack: Stack) -> None:
    events = spread_run()
    env = stack.env
    bootstrap, prefix = env["BEATSTITCH_KAFKA_BOOTSTRAP"], env["BEATSTITCH_TOPIC_PREFIX"]
    async with EventProducer(bootstrap, prefix) as producer:
        await producer.send_many(events)
    folded = await asyncio.to_thread(run_cli, "analytics", "--until-end", env=env)
    assert folded.returncode == 0, folded.stderr
    assert f"folded {len(events)} events into the windows" in folded.stdout
    assert "grace 600 s" in folded.stdout

    admin = await sign_up_admin(stack, f"ops-{uuid.uuid4().hex[:8]}@example.com")
    user = await sign_up(stack, f"an-{uuid.uuid4().hex[:8]}@example.com")
    span = {"since": W0.isoformat(), "until": (W0 + timedelta(hours=1)).isoformat()}
    async with stack.client(admin.token) as client:
        minutes = await client.get("/api/v1/analytics/windows", params={"size": "1m", **span})
        hours = await client.get("/api/v1/analytics/windows", params={"size": "1h", **span})
        odd = await client.get("/api/v1/analytics/windows", params={"size": "5m"})
        long = await client.get(
            "/api/v1/analytics/windows",
            params={"since": (W0 - timedelta(days=2)).isoformat(), "until": W0.isoformat()},
        )
    assert minutes.status_code == 200, minutes.text
    expected = [Window.model_validate(w).model_dump(mode="json") for w in recount(events, 60)]
    assert minutes.json()["windows"] == expected
    (hour,) = hours.json()["windows"]
    assert hour["renders"] == {"requested": 6, "completed": 4, "failed": 1, "cancelled": 1}
    assert hour["config_versions"] == [1, 2]
    assert odd.status_code == 422
    assert long.status_code == 422
    assert "at most 1440 windows per request" in long.text

    async with stack.client(user.token) as client:
        refused = await client.get("/api/v1/analytics/windows")
    assert refused.status_code == 403
    assert "Only an administrator may do this" in refused.text
