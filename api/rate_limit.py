"""Sliding-window limits on login and registration, per client address and per account.

In the API process's memory: each replica counts on its own, so N replicas allow N times
the limit at worst, which still turns a password guess per millisecond into ten a minute.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SlidingWindow:
    """At most `limit` hits per key within any `window_s` seconds."""

    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def retry_after(self, key: str) -> int | None:
        """Whole seconds until the key may try again, or None when it may try now."""
        now = self.clock()
        hits = self._recent(key, now)
        if len(hits) < self.limit:
            return None
        return max(1, math.ceil(hits[0] + self.window_s - now))

    def hit(self, key: str) -> None:
        """Count one attempt of the key."""
        now = self.clock()
        self._recent(key, now)
        self._hits.setdefault(key, deque()).append(now)

    def clear(self, key: str) -> None:
        """Forget the key's attempts (a successful login)."""
        self._hits.pop(key, None)

    def sweep(self) -> None:
        """Drop keys with no recent hits, so many one-off keys do not pile up."""
        now = self.clock()
        for key in list(self._hits):
            self._recent(key, now)


def address_key(address: str | None) -> str:
    """The key of a client address (requests without one share a key)."""
    return f"addr:{address or 'unknown'}"


def account_key(email: str) -> str:
    """The key of an account, by its e-mail as stored (lower case)."""
    return f"account:{email.strip().lower()}"


@dataclass
class AuthLimits:
    """Every login and registration counts against its address; wrong passwords and
    registrations count against the account they name."""

    per_address: SlidingWindow
    per_account: SlidingWindow
    _calls: int = 0

    def retry_after(self, address: str | None, email: str) -> int | None:
        """Seconds to wait when the address or the account is over its limit, else None."""
        self._calls += 1
        if self._calls % 1000 == 0:
            self.per_address.sweep()
            self.per_account.sweep()
        waits = [
            w
            for w in (
                self.per_address.retry_after(address_key(address)),
                self.per_account.retry_after(account_key(email)),
            )
            if w is not None
        ]
        return max(waits) if waits else None

    def attempt(self, address: str | None) -> None:
        """Count a login or registration from this address."""
        self.per_address.hit(address_key(address))

    def failed(self, email: str) -> None:
        """Count a wrong password for (or a registration of) this account."""
        self.per_account.hit(account_key(email))

    def succeeded(self, email: str) -> None:
        """A right password: the account's wrong guesses no longer count."""
        self.per_account.clear(account_key(email))


def auth_limits(per_address_per_minute: int, per_account_per_minute: int) -> AuthLimits:
    """The limits of one API process, with one-minute windows."""
    return AuthLimits(
        SlidingWindow(per_address_per_minute, 60.0), SlidingWindow(per_account_per_minute, 60.0)
    )
