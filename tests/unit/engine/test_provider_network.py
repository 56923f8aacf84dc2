"""Where a provider's client may connect: an output URL naming a private address (a cloud's
metadata service, the loopback, the office network) is refused before anything is sent."""

from __future__ import annotations

import httpx
import pytest

from engine.generation.provider import ProviderError, ProviderSettings
from engine.generation.provider_network import host_refusal, provider_client

SETTINGS = ProviderSettings(base_url="http://127.0.0.1:9999", hosts_allowed=frozenset({"10.1.2.3"}))


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:9999/v1/tasks/1", False),  # the configured API itself
        ("http://10.1.2.3/out.mp4", False),  # a host the operator allowed
        ("https://93.184.216.34/out.mp4", False),  # a public address
        ("http://169.254.169.254/latest/meta-data", True),  # a cloud metadata service
        ("http://127.0.0.2:8080/out.mp4", True),  # another loopback service
        ("http://192.168.1.10/out.mp4", True),
        ("http://[::1]:9999/out.mp4", True),
    ],
)
def test_private_addresses_are_refused(url: str, refused: bool) -> None:
    refusal = host_refusal(httpx.URL(url), SETTINGS)
    assert (refusal is not None) == refused
    if refused:
        assert refusal is not None and "private network" in refusal


def test_the_client_refuses_before_sending() -> None:
    # (That it ignores the worker's proxy variables shows in the remote generations test:
    # the worker sets http_proxy, and its provider clients still reach their APIs.)
    with provider_client(SETTINGS) as client, pytest.raises(ProviderError) as caught:
        client.get("http://169.254.169.254/latest/meta-data")
    assert caught.value.code == "address_refused"
    assert str(caught.value) == (
        "address_refused: the provider's address was refused: "
        "169.254.169.254 is on a private network, so it is not fetched"
    )
