"""Issue 24 point 8 in a real browser: the patient reads what is deleted now and what is kept until when,
deletes her account with the keyboard-usable form, and the practitioner opens the retained record and the
early-erasure confirmation. axe finds no violation on any of these pages, and none scrolls sideways at
390 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.support.browser import assert_none, audit, log_in
from tests.support.visitors import PASSWORD

pytestmark = pytest.mark.e2e


def test_deleting_her_account_and_reading_the_retained_record(page, seeded):
    found: dict[str, list] = {}
    a_email, a_name, b_email, dr_email = seeded.a.email, seeded.a.full_name, seeded.b.email, seeded.practitioner.email
    db.session.remove()  # this test's session holds no read open on SQLite (the erasure checkpoints the log)
    log_in(page, a_email)
    audit(page, "/account/delete", found)
    expect(page.get_by_role("heading", name="Deleted now")).to_be_visible()
    kept = page.get_by_role("heading", name="Kept by your practitioner until")
    expect(kept).to_be_visible()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("deleted")

    log_in(page, dr_email)
    audit(page, "/practice/retained", found)
    page.get_by_role("link", name=a_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(a_name)
    audit(page, "", found)
    record_url = page.url
    page.get_by_label("Why it may be erased now").fill("My state's retention period has ended")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Erase the record of")
    audit(page, "", found)
    assert_none(found)

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/practice/retained", record_url):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.get_by_role("button", name="Log out").click()
    log_in(page, b_email)
    page.goto("/account/delete")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
