"""TCP ports on this machine: free ones to listen on, and whether one is open or taken."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_tcp_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """Return `count` distinct TCP ports that were free on `host` a moment ago."""
    sockets: list[socket.socket] = []
    try:
        # Hold every socket open until all ports are picked, so the OS cannot hand out
        # the same port twice.
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tcp_open(host: str, port: int) -> bool:
    """Return True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    """Return True if a listener could bind host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Java sets SO_REUSEADDR on server sockets, so TIME_WAIT leftovers from a broker
        # that just stopped must not count as "in use" here either.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
