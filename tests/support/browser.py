"""Helpers for the browser tests (tests/e2e): signing in by pointer or keyboard, the red-flag screen,
and axe-core audits (injected by axe-playwright-python with page.evaluate, which the CSP allows)."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.support.seeded import PASSWORD

_axe = Axe()


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Log in")


def pass_safety_screen(page: Page, then: str) -> None:
    page.goto(f"/book/safety?next={then}")
    page.get_by_label("None of these right now").check()
    page.get_by_role("button", name="Continue").click()


def audit(page: Page, path: str, found: dict[str, list]) -> None:
    """Open `path` (unless it is open already) and keep its violations."""
    if path:
        page.goto(path)
    page.wait_for_load_state("load")
    results = _axe.run(page)
    blocking = results.response["violations"]  # of any impact: minor ones fail too
    name = path or page.url
    found[name] = blocking
    print(f"axe {name}: {len(blocking)} violations")
    if blocking:
        print(results.generate_report())


def assert_none(found: dict[str, list]) -> None:
    failing = {page: [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
                      for v in violations] for page, violations in found.items() if violations}
    assert not failing, f"accessibility violations: {failing}"


def tab_to(page: Page, target: Locator, limit: int = 150) -> None:
    """Press Tab until `target` has focus: it must be reachable from the keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {target}")


def keyboard_log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
