"""The studio's admin page in a real browser against the real stack: the render clip config
with each setting's range, the API's refusal next to the field it names, a save that heads
the version history with its change; a user sees the values and why they cannot change
them; a phone screen; no request to any other host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import run_async
from tests.e2e.studio_pages import (
    horizontal_overflow,
    new_email,
    sign_in_in_browser,
    sign_up_in_browser,
    unnamed_controls,
)
from tests.support.api_stack import Stack, sign_up_admin

CONFIG = "/api/v1/render/config"


def label_of(name: str) -> str:
    """The input's label as the page writes it: "max_parallelism" → "Max parallelism"."""
    words = name.replace("_", " ")
    return words[0].upper() + words[1:]


async def _api(stack: Stack, token: str, method: str, path: str, body: Any = None) -> Any:
    """Status and body of one call with this token, as the page's own token makes it."""
    async with stack.client(token) as client:
        answer = await client.request(method, path, json=body)
    return answer.status_code, answer.json()


def open_admin(page: Page) -> None:
    """Follow the header's Admin link; the form shows once the config is loaded."""
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    expect(page.get_by_test_id("config-field").first).to_be_visible()


def test_an_admin_sees_the_ranges_is_told_what_the_api_refuses_and_saves_a_new_version(
    page: Page, stack_worker: Stack, tmp_path: Path
) -> None:
    email = new_email()
    admin = run_async(sign_up_admin(stack_worker, email))
    sign_in_in_browser(page, email)
    open_admin(page)
    assert page.url.endswith("/admin")
    _, described = run_async(_api(stack_worker, admin.token, "GET", f"{CONFIG}/fields"))
    _, before = run_async(_api(stack_worker, admin.token, "GET", CONFIG))
    # Each setting with its range and default written beside it, from the API's numbers.
    for field in described["fields"]:
        row = page.locator(f"[data-field={field['name']}]")
        box = page.get_by_label(label_of(field["name"]))
        expect(box).to_have_value(str(before["config"][field["name"]]))
        expect(box).to_have_attribute("min", str(field["minimum"]))
        expect(box).to_have_attribute("max", str(field["maximum"]))
        expect(box).to_be_editable()
        expect(row.locator(".range")).to_have_text(
            f"{field['minimum']}–{field['maximum']}, default {field['default']}"
        )
    expect(page.locator("[data-field=max_parallelism] .range")).to_have_text("1–6, default 4")
    assert unnamed_controls(page) == []
    page.screenshot(path=tmp_path / "admin-form.png", full_page=True)

    # Out of range: the API's own 422 sentence, next to the field it names, nothing saved.
    status, refusal = run_async(
        _api(stack_worker, admin.token, "PATCH", CONFIG, {"max_parallelism": 7})
    )
    assert status == 422 and refusal["detail"][0]["loc"] == ["body", "max_parallelism"]
    said = refusal["detail"][0]["msg"]
    assert said == "Input should be less than or equal to 6"
    page.get_by_label("Max parallelism").fill("7")
    page.get_by_role("button", name="Save").click()
    error = page.locator("[data-field=max_parallelism]").get_by_test_id("field-error")
    expect(error).to_have_text(said)
    expect(page.get_by_label("Max parallelism")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("field-error")).to_have_count(1)
    page.screenshot(path=tmp_path / "admin-refused.png", full_page=True)
    _, unchanged = run_async(_api(stack_worker, admin.token, "GET", CONFIG))
    assert unchanged["version"] == before["version"]

    # A valid value, by keyboard: type it and press Enter; only the changed field is sent.
    value = 2 if before["config"]["max_parallelism"] != 2 else 3
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method == "PATCH" else None)
    box = page.get_by_label("Max parallelism")
    box.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")
    version = before["version"] + 1
    expect(page.get_by_role("status")).to_have_text(f"Saved: version {version} is in force.")
    assert sent == [f'{{"max_parallelism":{value}}}']
    expect(page.get_by_test_id("field-error")).to_have_count(0)
    top = page.get_by_test_id("history-row").first
    expect(top.locator("td").nth(0)).to_have_text(str(version))
    expect(top.locator("td").nth(1)).to_have_text(email)
    old = before["config"]["max_parallelism"]
    expect(top.locator("td").nth(3)).to_have_text(f"max_parallelism: {old} → {value}")
    heading = page.get_by_role("heading", name=f"Render clip config: version {version}")
    expect(heading).to_be_visible()
    expect(box).to_have_value(str(value))
    _, after = run_async(_api(stack_worker, admin.token, "GET", CONFIG))
    assert after["version"] == version and after["config"]["max_parallelism"] == value
    page.screenshot(path=tmp_path / "admin-saved.png", full_page=True)


def test_a_user_sees_the_values_and_why_only_an_administrator_may_change_them(
    page: Page, stack_worker: Stack, tmp_path: Path
) -> None:
    sign_up_in_browser(page, new_email())
    token = page.evaluate("sessionStorage.getItem('beatstitch.token')")
    status, refusal = run_async(_api(stack_worker, token, "PATCH", CONFIG, {"max_retry": 1}))
    assert status == 403
    _, config = run_async(_api(stack_worker, token, "GET", CONFIG))
    # By keyboard: the header's Admin link is reached with Tab and followed with Enter.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Admin":
            break
    expect(page.get_by_role("link", name="Admin")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("config-field").first).to_be_visible()
    # The API's 403 sentence, up front, and the form read-only: no Save to press.
    why = page.get_by_test_id("why-not")
    expect(why).to_have_text(refusal["detail"])
    expect(why).to_contain_text("Only an administrator may do this")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    for name, value in config["config"].items():
        box = page.get_by_label(label_of(name))
        expect(box).to_have_value(str(value))
        expect(box).not_to_be_editable()
    # Still readable by keyboard: the inputs stay in the tab order.
    page.get_by_label("Max parallelism").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Per video limit")).to_be_focused()
    assert unnamed_controls(page) == []
    page.screenshot(path=tmp_path / "admin-as-user.png", full_page=True)


def test_the_admin_page_on_a_phone_has_no_horizontal_scroll(
    phone: Page, stack_worker: Stack, tmp_path: Path
) -> None:
    email = new_email()
    admin = run_async(sign_up_admin(stack_worker, email))
    # A version with several changes, so the history table has a long row to fit.
    status, _ = run_async(
        _api(stack_worker, admin.token, "PATCH", CONFIG, {"max_retry": 9, "per_video_limit": 5})
    )
    assert status == 200
    sign_in_in_browser(phone, email)
    open_admin(phone)
    expect(phone.get_by_test_id("history-row").first).to_contain_text(email)
    assert horizontal_overflow(phone) == 0
    phone.screenshot(path=tmp_path / "admin-phone.png", full_page=True)
