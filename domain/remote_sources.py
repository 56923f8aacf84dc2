"""Which remote sources a worker may fetch: http(s) to public addresses, or an allowed host.

FFmpeg opens whatever URL it is given, through any of its protocols (file:, concat:, subfile:,
tcp:, data:…), and an event may name any URL: a source outside this rule is refused before
any connection is made."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

from engine.addresses import is_public

SOURCE_REFUSED = "source_refused"
ALLOWED_SCHEMES = frozenset({"http", "https"})
# host, port -> every address the name resolves to (raises OSError when it does not).
Resolve = Callable[[str, int], Iterable[str]]


def parse_allowed_hosts(setting: str) -> frozenset[str]:
    """The allowlist from its setting: comma-separated `host` or `host:port`, lower-cased."""
    return frozenset(part.strip().lower() for part in setting.split(",") if part.strip())


def remote_refusal(url: str, allowed_hosts: Collection[str], resolve: Resolve) -> str | None:
    """Why `url` may not be fetched (one sentence), or None when it may.

    Only http and https; a host named in `allowed_hosts` (as `host` or `host:port`) is
    fetched wherever it points; any other host must resolve to public addresses only (no
    loopback, link-local such as cloud metadata, private or reserved ranges), every one
    of them, so a DNS name cannot lead to an internal service."""
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return "source_refused: the URL contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "source_refused: the URL cannot be parsed"
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"{scheme}:" if scheme else "no scheme"
        return f"source_refused: only http and https sources are fetched, not {shown}"
    host = (parts.hostname or "").lower()
    if not host:
        return "source_refused: the URL names no host"
    port = port or (443 if scheme == "https" else 80)
    return host_refusal(host, port, allowed_hosts, resolve)[0]


def host_refusal(
    host: str, port: int, allowed_hosts: Collection[str], resolve: Resolve
) -> tuple[str | None, list[str]]:
    """Why host:port may not be reached (or None), and the addresses it may be reached at.

    An allowed host is reached by its name, wherever it resolves; any other must resolve to
    public addresses only. Connecting to one of the returned addresses, not to the name again,
    keeps a second DNS answer from leading elsewhere."""
    host = host.lower().strip("[]")
    if host in allowed_hosts or f"{host}:{port}" in allowed_hosts:
        return None, [host]  # trusted wherever it points: reached by its name
    try:
        addresses = list(resolve(host, port))
    except (OSError, UnicodeError):
        return f"source_refused: the host {host} does not resolve", []
    if not addresses:
        return f"source_refused: the host {host} does not resolve", []
    for address in addresses:
        if not is_public(address):
            return (
                f"source_refused: {host} points at {address}, a loopback, link-local or "
                "private address (name it in BEATSTITCH_REMOTE_HOSTS_ALLOWED to allow it)"
            ), []
    return None, addresses


class SourceRefused(ValueError):
    """A remote source refused by remote_refusal; the message is its sentence."""

    reason = SOURCE_REFUSED
