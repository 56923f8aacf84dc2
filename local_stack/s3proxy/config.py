"""What the local S3 server runs from: its jars, its key pair and its properties file."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from local_stack.errors import LocalStackError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_CONFIG = REPO_ROOT / "s3proxy" / "logback.xml"
MAIN_CLASS = "org.gaul.s3proxy.Main"
DEFAULT_PORT = 19900
DEFAULT_BUCKET = "beatstitch"
# S3Proxy checks signatures with whatever region the client signs for; one is needed.
REGION = "us-east-1"

# Same reasoning as the Kafka broker's options (local_stack/kafka/jvm.py): on 2 cores,
# SerialGC and C1-only code start fastest; a local S3 server for one developer needs
# little heap (objects stream through it in small buffers).
DEFAULT_JVM_OPTS: tuple[str, ...] = (
    "-Xms32m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)


class S3ProxyError(LocalStackError):
    """A local S3 server problem whose message is a sentence that says how to fix it."""


@dataclass(frozen=True)
class S3ProxyKeys:
    """The one key pair the local S3 server accepts."""

    access_key: str
    secret_key: str


def check_libs(libs_dir: Path) -> None:
    """Fail with the fix if S3Proxy's jars are missing or from two versions."""
    jars = sorted(libs_dir.glob("s3proxy-*.jar")) if libs_dir.is_dir() else []
    if not jars:
        raise S3ProxyError(
            f"S3Proxy's jars are not installed in {libs_dir}. Run `make install` (or "
            "`make s3proxy-jars`) in the repository root to fetch them with Maven."
        )
    if len(jars) > 1:
        raise S3ProxyError(
            f"{libs_dir} holds several S3Proxy versions ({', '.join(j.name for j in jars)}). "
            "Delete that directory and run `make install` again."
        )


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (it holds the server's secret key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def server_properties(endpoint_url: str, blobs_dir: Path, keys: S3ProxyKeys) -> str:
    """S3Proxy's properties: the S3 API on endpoint_url, objects as files in blobs_dir."""
    lines = {
        "s3proxy.endpoint": endpoint_url,
        "s3proxy.authorization": "aws-v2-or-v4",
        "s3proxy.identity": keys.access_key,
        "s3proxy.credential": keys.secret_key,
        "jclouds.provider": "filesystem",
        "jclouds.filesystem.basedir": str(blobs_dir),
        # The filesystem provider ignores these, but jclouds wants them set.
        "jclouds.identity": keys.access_key,
        "jclouds.credential": keys.secret_key,
    }
    return "".join(f"{name}={value}\n" for name, value in lines.items())


def load_or_create_keys(path: Path) -> S3ProxyKeys:
    """The key pair in path, made (and written with mode 0600) on first use."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return S3ProxyKeys(stored["access_key"], stored["secret_key"])
    except (FileNotFoundError, KeyError, ValueError, TypeError):
        keys = S3ProxyKeys(f"local-{secrets.token_hex(8)}", secrets.token_urlsafe(30))
        write_private(path, json.dumps(asdict(keys), indent=2) + "\n")
        return keys
