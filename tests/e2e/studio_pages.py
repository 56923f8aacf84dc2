"""What a person does on the studio's pages, as steps the browser tests share."""

from __future__ import annotations

import base64
import math
import mimetypes
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

PASSWORD = "correct horse 42"


def js_round(value: float) -> int:
    """Math.round as the page does it: halves go up (Python's round sends 338.5 to 338)."""
    return math.floor(value + 0.5)


def js_fixed(value: float, digits: int) -> str:
    """Number.prototype.toFixed as the page does it: the float's exact value, halves up."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def new_email() -> str:
    """A fresh address per account."""
    return f"studio-{uuid.uuid4().hex[:8]}@example.com"


def sign_up_in_browser(page: Page, email: str) -> None:
    """Create an account through the studio's form (the page signs in after)."""
    page.goto("/")
    page.get_by_role("button", name="New here? Create an account").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def create_project(page: Page, name: str) -> None:
    """Create a project from the projects page; its page opens."""
    page.get_by_label("New project name").fill(name)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def tiles(page: Page) -> list[str]:
    """The file names of the media grid, in order."""
    return page.get_by_test_id("media-tile").locator(".name").all_inner_texts()


def drop_files(page: Page, paths: list[Path]) -> None:
    """Drop files on the drop zone as a person dragging them from their desktop does."""
    files = [
        {
            "name": p.name,
            "type": mimetypes.guess_type(p.name)[0] or "",
            "b64": base64.b64encode(p.read_bytes()).decode(),
        }
        for p in paths
    ]
    transfer = page.evaluate_handle(
        """files => {
            const dt = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), c => c.charCodeAt(0));
                dt.items.add(new File([bytes], f.name, {type: f.type}));
            }
            return dt;
        }""",
        files,
    )
    page.get_by_test_id("dropzone").dispatch_event("drop", {"dataTransfer": transfer})


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return max(0, int(width) - int(page.evaluate("window.innerWidth")))


def unnamed_controls(page: Page) -> list[str]:
    """Every button, input and link a screen reader would announce without a name."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
            .filter(el => {
                const labels = el.labels ? [...el.labels].map(l => l.textContent).join('') : '';
                const name = el.getAttribute('aria-label') || labels || el.textContent || '';
                return name.trim() === '';
            })
            .map(el => el.outerHTML)"""
    )
    return found


def sign_in_in_browser(page: Page, email: str) -> None:
    """Sign in with an existing account (one an operator made, say) through the studio's form."""
    page.goto("/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
