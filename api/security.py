"""Password hashing (Argon2id) and opaque bearer tokens kept as digests."""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults follow RFC 9106's low-memory profile (Argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password with Argon2id and a random salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password_or_dummy(password_hash: str | None, password: str) -> bool:
    """Verify against the hash, or against a throwaway hash when there is no account, so a
    login for an unknown e-mail costs one Argon2 verification like any other (no timing
    tells which e-mails have accounts); always False without an account."""
    if password_hash is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


def new_token() -> str:
    """A random bearer token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The sha256 under which a token is stored; the token itself is never kept."""
    return hashlib.sha256(token.encode()).hexdigest()
