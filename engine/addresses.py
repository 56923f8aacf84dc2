"""Whether an IP address is on the public internet: the one test behind every refusal of a
private address (remote media sources, video providers' hosts)."""

from __future__ import annotations

import ipaddress


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
