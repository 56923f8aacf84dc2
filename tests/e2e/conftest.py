"""Browser fixtures: Debian's Chromium, headless, driven by Playwright's Python package (its
wheel carries the driver; no browser is downloaded)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.studio import STATIC_DIR
from tests.support.api_stack import Stack

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
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


@contextmanager
def open_page(browser: Browser, base_url: str, **options: Any) -> Iterator[Page]:
    """A page in a fresh browser context; once closed, fails if it asked any other host."""
    context = browser.new_context(base_url=base_url, **options)
    opened = context.new_page()
    asked: list[str] = []
    opened.on("request", lambda r: asked.append(r.url))
    try:
        yield opened
    finally:
        context.close()
    foreign = [u for u in asked if not u.startswith((base_url, "blob:", "data:"))]
    assert foreign == [], f"requests to another host: {foreign}"


@pytest.fixture
def page(browser: Browser, stack_worker: Stack) -> Iterator[Page]:
    """A desktop page (1280×800) that asks no host but the API's."""
    with open_page(browser, stack_worker.url, viewport=DESKTOP) as opened:
        yield opened


@pytest.fixture
def phone(browser: Browser, stack_worker: Stack) -> Iterator[Page]:
    """A 390×844 phone screen that asks no host but the API's."""
    with open_page(browser, stack_worker.url, viewport=PHONE, is_mobile=True) as opened:
        yield opened


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine (an API call of the test) beside Playwright's running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()
