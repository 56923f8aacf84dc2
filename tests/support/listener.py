"""A listening loopback port that tells whether anything connected to it: the witness that a
refused address was never reached."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


class SilentPort:
    """A loopback port that listens but never answers."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.port: int = sock.getsockname()[1]

    def was_connected(self) -> bool:
        """True if a connection is waiting to be accepted (someone reached the port)."""
        try:
            connection, _ = self._sock.accept()
        except BlockingIOError:
            return False
        connection.close()
        return True


@pytest.fixture
def silent_port() -> Iterator[SilentPort]:
    """A free loopback port listening for the length of the test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    try:
        yield SilentPort(sock)
    finally:
        sock.close()
