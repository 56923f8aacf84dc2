"""The errors of the local stack: each message is a sentence that says how to fix it."""

from __future__ import annotations


class LocalStackError(RuntimeError):
    """Part of the stack could not run on this machine; the message names the fix."""


class KafkaBrokerError(LocalStackError):
    """A local-broker problem whose message is a sentence that says how to fix it."""


class ServiceError(LocalStackError):
    """A service process (projector, API, worker) stopped or did not become healthy."""


class PostgresError(LocalStackError):
    """The local PostgreSQL server's programs cannot be found."""
