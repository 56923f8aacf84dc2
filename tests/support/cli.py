"""Running the `beatstitch` console script as a separate process, as a person would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from local_stack.services import BEATSTITCH

# Uploads in tests ask for no proxies (a worker would make each one); a test of proxies
# turns them on with BEATSTITCH_UPLOAD_PROXIES=true.
NO_UPLOAD_PROXIES = {"BEATSTITCH_UPLOAD_PROXIES": "false"}


def cli_env(bootstrap: str, prefix: str, database_url: str, **extra: str) -> dict[str, str]:
    """Environment that points the CLI at a test's broker, topics and database."""
    return {
        **os.environ,
        "BEATSTITCH_KAFKA_BOOTSTRAP": bootstrap,
        "BEATSTITCH_TOPIC_PREFIX": prefix,
        "BEATSTITCH_DATABASE_URL": database_url,
        **NO_UPLOAD_PROXIES,
        **extra,
    }


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `beatstitch ARGS` to completion and capture its output."""
    return subprocess.run(
        [BEATSTITCH, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `beatstitch ARGS` in the background."""
    return subprocess.Popen(
        [BEATSTITCH, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def render_env(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> dict[str, str]:
    """Environment of a CLI command that starts the whole service for one test: its topics,
    its own SQLite database, media and artifacts folders."""
    return cli_env(
        kafka_bootstrap,
        topic_prefix,
        f"sqlite:///{tmp_path / 'beatstitch.db'}",
        BEATSTITCH_MEDIA_DIR=str(tmp_path / "media-store"),
        BEATSTITCH_ARTIFACTS_DIR=str(tmp_path / "artifacts"),
    )
