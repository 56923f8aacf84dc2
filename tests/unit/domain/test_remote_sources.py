"""A remote source is fetched only over http(s) from a public address or an allowed host."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from domain.remote_sources import parse_allowed_hosts, remote_refusal

ASKED: list[str] = []


def dns(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, _port: int) -> Iterable[str]:
        ASKED.append(host)
        if host in table:
            return table[host]
        try:
            import ipaddress

            return [str(ipaddress.ip_address(host))]
        except ValueError:
            raise OSError("unknown host") from None

    return resolve


PUBLIC = dns({"cdn.example.com": ["93.184.216.34", "2606:2800:220:1::1"]})


def test_a_public_https_source_is_fetched() -> None:
    assert remote_refusal("https://cdn.example.com/v/master.m3u8", set(), PUBLIC) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "not file:"),
        ("concat:/etc/passwd|/etc/hosts", "not concat:"),
        ("subfile,,start,0,end,100,,:/etc/passwd", "no scheme"),
        ("tcp://93.184.216.34:80", "not tcp:"),
        ("data:video/mp4;base64,AAAA", "not data:"),
        ("/etc/passwd", "no scheme"),
        ("http:///nohost", "no host"),
        ("http://cdn.example.com/a b", "spaces"),
    ],
)
def test_other_protocols_are_refused(url: str, words: str) -> None:
    refusal = remote_refusal(url, {"cdn.example.com"}, PUBLIC)
    assert refusal is not None and refusal.startswith("source_refused") and words in refusal


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9092/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.8/v.mp4",
        "http://192.168.1.1/v.mp4",
        "http://172.16.0.1/v.mp4",
        "http://0.0.0.0/",
        "https://100.64.0.1/",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    refusal = remote_refusal(url, set(), PUBLIC)
    assert refusal is not None and "loopback, link-local or private" in refusal


def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    resolve = dns({"sneaky.example.com": ["93.184.216.34", "10.1.2.3"]})
    refusal = remote_refusal("https://sneaky.example.com/v.mp4", set(), resolve)
    assert refusal is not None and "10.1.2.3" in refusal


def test_a_name_that_does_not_resolve_is_refused() -> None:
    refusal = remote_refusal("https://nowhere.invalid/v.mp4", set(), PUBLIC)
    assert refusal is not None and "does not resolve" in refusal


def test_an_allowed_host_is_fetched_without_asking_dns() -> None:
    ASKED.clear()
    allowed = parse_allowed_hosts(" 127.0.0.1:8123 , Media.Local ")
    assert remote_refusal("http://127.0.0.1:8123/ok/v.mp4", allowed, PUBLIC) is None
    assert remote_refusal("http://media.local/v.mp4", allowed, PUBLIC) is None
    assert ASKED == []
    # the same host on another port is not named
    assert remote_refusal("http://127.0.0.1:9092/", allowed, PUBLIC) is not None


def test_an_allowed_host_does_not_allow_another_protocol() -> None:
    allowed = parse_allowed_hosts("127.0.0.1")
    assert remote_refusal("tcp://127.0.0.1:80", allowed, PUBLIC) is not None
