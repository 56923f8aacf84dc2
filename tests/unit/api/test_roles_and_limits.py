"""Pure parts of roles and login limits: who may administer, what `updated_by` a user sees,
and the sliding windows behind 429 on login and registration."""

from __future__ import annotations

import pytest

from api.rate_limit import AuthLimits, SlidingWindow, account_key, address_key
from api.roles import AN_ADMINISTRATOR, may_administer, visible_updated_by
from api.security import hash_password, verify_password_or_dummy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_admins_administer() -> None:
    assert may_administer("admin")
    assert not may_administer("user")
    assert not may_administer("")


@pytest.mark.parametrize(
    ("updated_by", "role", "email", "shown"),
    [
        # A user never learns another person's e-mail from the shared config.
        ("boss@example.com", "user", "me@example.com", AN_ADMINISTRATOR),
        ("Me@Example.com", "user", "me@example.com", "Me@Example.com"),
        ("cli:ops", "user", "me@example.com", "cli:ops"),
        ("system", "user", "me@example.com", "system"),
        (None, "user", "me@example.com", None),
        # Administrators see who changed it.
        ("boss@example.com", "admin", "other@example.com", "boss@example.com"),
    ],
)
def test_updated_by_hides_other_peoples_emails_from_users(
    updated_by: str | None, role: str, email: str, shown: str | None
) -> None:
    assert visible_updated_by(updated_by, role, email) == shown


def test_keys_name_the_address_and_the_account_case_blind() -> None:
    assert address_key("10.0.0.1") == "addr:10.0.0.1"
    assert address_key(None) == "addr:unknown"
    assert account_key(" Alice@Example.COM ") == account_key("alice@example.com")
    assert account_key("a@example.com") != address_key("a@example.com")


def test_a_window_allows_its_limit_then_says_when_to_retry() -> None:
    clock = Clock()
    window = SlidingWindow(limit=3, window_s=60, clock=clock)
    for _ in range(3):
        assert window.retry_after("k") is None
        window.hit("k")
        clock.now += 10
    # Hits at 1000, 1010, 1020; now 1030: the first leaves the window at 1060.
    assert window.retry_after("k") == 30
    assert window.retry_after("other") is None
    clock.now = 1060.5
    assert window.retry_after("k") is None


def test_a_cleared_key_and_swept_windows_forget() -> None:
    clock = Clock()
    window = SlidingWindow(limit=1, window_s=60, clock=clock)
    window.hit("a")
    window.hit("b")
    window.clear("a")
    assert window.retry_after("a") is None
    clock.now += 61
    window.sweep()
    assert window._hits == {}


def test_the_eleventh_wrong_password_in_a_minute_is_refused() -> None:
    clock = Clock()
    limits = AuthLimits(SlidingWindow(60, 60, clock), SlidingWindow(10, 60, clock))
    for _ in range(10):
        assert limits.retry_after("1.2.3.4", "a@example.com") is None
        limits.attempt("1.2.3.4")
        limits.failed("a@example.com")
        clock.now += 1
    wait = limits.retry_after("5.6.7.8", "A@example.com")
    assert wait is not None and 0 < wait <= 60
    # Another account from the same address may still try.
    assert limits.retry_after("1.2.3.4", "b@example.com") is None


def test_a_right_password_clears_the_accounts_wrong_guesses() -> None:
    limits = AuthLimits(SlidingWindow(60, 60), SlidingWindow(2, 60))
    limits.failed("a@example.com")
    limits.failed("a@example.com")
    assert limits.retry_after(None, "a@example.com") is not None
    limits.succeeded("a@example.com")
    assert limits.retry_after(None, "a@example.com") is None


def test_an_address_over_its_limit_is_refused_whatever_the_account() -> None:
    limits = AuthLimits(SlidingWindow(2, 60), SlidingWindow(10, 60))
    limits.attempt("1.2.3.4")
    limits.attempt("1.2.3.4")
    assert limits.retry_after("1.2.3.4", "new@example.com") is not None
    assert limits.retry_after("1.2.3.5", "new@example.com") is None


def test_login_without_an_account_still_verifies_a_hash_and_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import api.security as security

    calls: list[str] = []
    real = security.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    assert verify_password_or_dummy(None, "anything at all") is False
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")
    stored = hash_password("right password")
    assert verify_password_or_dummy(stored, "right password") is True
    assert verify_password_or_dummy(stored, "wrong password") is False
