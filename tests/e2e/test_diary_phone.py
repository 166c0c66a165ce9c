"""The diary on a phone, with the keyboard only: a meal, a symptom and a flare each take under 10 key
presses from the diary page (every Tab, Enter, Space, arrow and typed word counts as one), and every
diary page is axe-clean."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models.diary import DiaryEntry, Flare
from tests.support.browser import assert_none, audit, log_in

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
MAX_TAPS = 9  # "under 10"


@pytest.fixture
def browser_context_options() -> dict:
    return {"timezone_id": "Europe/London", "locale": "en-GB", **PHONE}


class Keys:
    """The keyboard, counting every press (a typed word counts as one)."""

    def __init__(self, page: Page):
        self.page, self.count = page, 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += 1

    def tab_to(self, target: Locator, limit: int = 20) -> None:
        for _ in range(limit):
            self.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return
        pytest.fail(f"Tab never reached {target}")

    def to_main(self) -> None:
        """The skip link, then into the page's main content (once the page and its script have loaded:
        app.js may move the focus to a message, and a key pressed before that would be counted twice)."""
        self.page.wait_for_load_state("load")
        self.press("Tab")
        expect(self.page.get_by_role("link", name="Skip to main content")).to_be_focused()
        self.press("Enter")


def test_meal_symptom_and_flare_each_in_under_10_key_presses_and_axe_clean(page, seeded):
    log_in(page, seeded.a.email)
    found: dict[str, list] = {}
    audit(page, "/account/diary", found)

    keys = Keys(page)  # a meal
    keys.to_main()
    keys.tab_to(page.get_by_role("link", name="Log a meal or exposure"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a meal or exposure")
    expect(page.get_by_label("What did you eat, drink or meet?")).to_be_focused()
    audit(page, "", found)
    keys.type("prawn curry")
    keys.press("Enter")
    expect(page.get_by_text("Saved to your diary.")).to_be_visible()
    meal_taps = keys.count

    keys = Keys(page)  # a symptom
    keys.to_main()
    keys.tab_to(page.get_by_role("link", name="Log symptoms"))
    keys.press("Enter")
    expect(page.get_by_label("Where in the body?")).to_be_focused()
    audit(page, "", found)
    keys.type("Skin")
    keys.press("Tab")
    keys.press("ArrowRight")  # Mild -> Moderate
    expect(page.get_by_role("group", name="How strong?").get_by_label("Moderate")).to_be_checked()
    keys.press("Enter")
    expect(page.get_by_text("Saved to your diary.")).to_be_visible()
    symptom_taps = keys.count

    keys = Keys(page)  # a flare
    keys.to_main()
    keys.tab_to(page.get_by_role("button", name="I'm having a flare"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("emergency"))
    flare_taps = keys.count
    audit(page, "", found)
    audit(page, "/account/diary/medicines", found)

    print(f"key presses: meal {meal_taps}, symptom {symptom_taps}, flare {flare_taps}")
    assert max(meal_taps, symptom_taps, flare_taps) <= MAX_TAPS
    db.session.commit()  # end the test's snapshot: read what the browser's requests wrote
    entries = db.session.scalars(select(DiaryEntry).order_by(DiaryEntry.id)).all()
    assert [(e.text, e.ratings) for e in entries][-2:] == [("prawn curry", {}), ("", {"skin": 2})]
    assert db.session.scalar(select(Flare).where(Flare.note == "")) is not None
    assert_none(found)
