"""In-order acks: nothing past an unfinished task is ever acked."""

from __future__ import annotations

from agents.acks import InOrderAcker


class FakeEvent:
    def __init__(self, offset: int, log: list[int]) -> None:
        self.offset, self.log = offset, log

    def ack(self) -> bool:
        self.log.append(self.offset)
        return True


def test_acks_wait_for_the_oldest_unfinished_event() -> None:
    log: list[int] = []
    acker = InOrderAcker()
    events = [FakeEvent(i, log) for i in range(5)]
    for e in events:
        acker.add("p0", e)
    for i in (1, 2, 4):
        acker.done("p0", events[i])
    assert log == []  # offset 0 still runs: committing 1, 2 or 4 would lose it on a crash
    acker.done("p0", events[0])
    assert log == [0, 1, 2]
    acker.done("p0", events[3])
    assert log == [0, 1, 2, 3, 4] and acker.pending("p0") == 0


def test_partitions_are_independent_and_revoked_ones_are_never_acked() -> None:
    log: list[int] = []
    acker = InOrderAcker()
    a, b = FakeEvent(10, log), FakeEvent(20, log)
    acker.add("p0", a)
    acker.add("p1", b)
    acker.forget({"p0"})
    acker.done("p0", a)
    acker.done("p1", b)
    assert log == [20]
