"""The first run in a browser: the practitioner made by `flask create-practitioner` on an empty database
signs in to the setup checklist (axe-clean, on a desktop and on a phone), and its links take her to each step."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import assert_none, audit
from tests.support.first_run import EMAIL, PASSWORD, create_practitioner

pytestmark = pytest.mark.e2e


def sign_in(page: Page) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_new_practitioner_signs_in_to_the_setup_checklist_and_follows_it(app, page: Page, live_server):
    create_practitioner(app)
    sign_in(page)
    expect(page).to_have_url(f"{live_server}/practice")
    checklist = page.get_by_role("region", name="Set up your practice")
    expect(checklist).to_contain_text("Patients cannot book yet")
    found: dict[str, list] = {}
    audit(page, "", found)
    page.set_viewport_size({"width": 390, "height": 844})
    audit(page, "/practice", found)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_none(found)
    checklist.get_by_role("link", name="Weekly hours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly hours")
    page.go_back()
    page.get_by_role("region", name="Set up your practice").get_by_role(
        "link", name="A consultation type with its price").click()
    expect(page).to_have_url(f"{live_server}/practice/types/new")
