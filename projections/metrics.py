"""Prometheus metrics of the projector."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PROJECTOR_EVENTS = Counter("projector_events_total", "Events folded into the read models")
PROJECTOR_DEAD_LETTERS = Counter(
    "projector_dead_letters_total", "Messages sent to the dead-letter topic by the projector"
)
PROJECTOR_BATCH_SECONDS = Histogram(
    "projector_batch_seconds", "Time to decode, fold and commit one batch"
)
