"""Where a provider's HTTP clients may connect: its own API host, hosts the operator allowed,
and public addresses; never a private network. The environment's proxy variables are not
used: they route media sources through the worker's egress proxy, which serves only GETs.

A provider's answers are untrusted input: an output URL (or a redirect) naming a loopback or
private address is refused before anything is sent to it."""

from __future__ import annotations

import socket

import httpx

from engine.addresses import is_public
from engine.generation.provider import ProviderError, ProviderSettings


def host_refusal(url: httpx.URL, settings: ProviderSettings) -> str | None:
    """Why a provider client may not connect to `url`'s host (a sentence), or None."""
    host = url.host.lower()
    port = url.port or (443 if url.scheme == "https" else 80)
    base = httpx.URL(settings.base_url) if settings.base_url else None
    if base is not None and base.host.lower() == host:
        return None  # the API the operator configured
    if host in settings.hosts_allowed or f"{host}:{port}" in settings.hosts_allowed:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return f"the host {host} could not be resolved"
    if all(is_public(str(info[4][0])) for info in infos):
        return None
    return f"{host} is on a private network, so it is not fetched"


def provider_client(settings: ProviderSettings) -> httpx.Client:
    """An httpx client for one provider: its timeout, no proxy, every request's host vetted."""

    def vet(request: httpx.Request) -> None:
        refusal = host_refusal(request.url, settings)
        if refusal is not None:
            raise ProviderError("address_refused", f"the provider's address was refused: {refusal}")

    return httpx.Client(
        timeout=settings.request_timeout_s, trust_env=False, event_hooks={"request": [vet]}
    )
