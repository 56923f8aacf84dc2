"""The `s3proxy` session fixture (one real S3Proxy for the test session) and `s3_store`.

S3Proxy runs from the jars `make install` put in .data/s3proxy-libs, over a temporary
folder, on a free port; each test that needs a bucket makes a fresh one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_stack.ports import free_tcp_ports
from local_stack.s3proxy.config import REGION, S3ProxyError
from local_stack.s3proxy.server import LocalS3Proxy
from storage.s3 import S3Store
from tests.support.kafka import say_to_terminal

REPO_ROOT = Path(__file__).resolve().parents[2]
S3PROXY_LIBS_DIR = REPO_ROOT / ".data" / "s3proxy-libs"


@dataclass(frozen=True)
class RunningS3Proxy:
    """Where the session's S3Proxy answers and the key pair it accepts."""

    server: LocalS3Proxy
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = REGION

    def new_bucket(self, name_hint: str) -> str:
        """Create a fresh, empty bucket named after name_hint; return its name."""
        stem = re.sub(r"[^a-z0-9-]", "-", name_hint.lower()).strip("-")[:40] or "t"
        name = f"{stem}-{uuid.uuid4().hex[:10]}"
        self.server.client(self.endpoint_url).create_bucket(Bucket=name)
        return name

    def store(self, bucket: str, prefix: str = "", **kwargs: object) -> S3Store:
        """An S3Store on bucket (and prefix) of this server."""
        return S3Store(
            bucket,
            prefix,
            endpoint_url=self.endpoint_url,
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="session")
def s3proxy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningS3Proxy]:
    """One local S3Proxy for the whole test session, stopped at the end."""
    (port,) = free_tcp_ports(1)
    server = LocalS3Proxy(S3PROXY_LIBS_DIR, tmp_path_factory.mktemp("s3proxy"), port)
    try:
        info = server.start()
    except S3ProxyError as exc:
        pytest.fail(f"The test S3Proxy could not start: {exc}", pytrace=False)
    say_to_terminal(
        request,
        f"s3proxy: local S3Proxy at {info.endpoint_url} started in {info.seconds:.1f} s "
        f"(log: {info.log_file})",
    )
    try:
        yield RunningS3Proxy(server, info.endpoint_url, info.keys.access_key, info.keys.secret_key)
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3proxy: RunningS3Proxy, request: pytest.FixtureRequest) -> S3Store:
    """An S3Store on a fresh bucket of the session's S3Proxy."""
    return s3proxy.store(s3proxy.new_bucket(request.node.name))
