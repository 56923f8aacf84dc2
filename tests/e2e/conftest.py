"""Browser fixtures: Debian's Chromium, headless, driven by Playwright's Python package (its
wheel carries the driver; no browser is downloaded)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, sync_playwright

from api.studio import STATIC_DIR
from tests.support.api_stack import Stack

CHROMIUM = "/usr/bin/chromium"
T = TypeVar("T")


@pytest.fixture(scope="module")
def browser(stack_worker: Stack) -> Iterator[Browser]:
    """One headless Chromium for the module; the studio must be built (make builds it).
    The stack starts first: Playwright's sync API keeps an event loop running in this thread
    from here on, so the stack's own asyncio.run must come before it."""
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail(f"The studio is not built in {STATIC_DIR}: run make first.")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is missing: run make test (it installs Debian's chromium).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine (an API call of the test) beside Playwright's running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()
