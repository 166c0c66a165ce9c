"""Her consultation note in a real browser: she writes the draft on the appointment page, signs it, and a
day later finds it locked with a form for a dated addendum; the note page parts and her note-sections page
are axe clean."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from app.clock import utcnow
from tests.support.browser import assert_none, audit, log_in

pytestmark = pytest.mark.e2e


def test_she_signs_a_note_and_a_day_later_it_is_locked_with_addenda_only(page, seeded):
    with time_machine.travel(utcnow(), tick=True) as traveller:
        log_in(page, seeded.practitioner.email)
        page.goto(f"/practice/appointments/{seeded.appointment.id}")
        note = page.get_by_role("region", name="Consultation note")
        note.get_by_label("Subjective").fill("Flushing after leftovers, worse in the evening")
        note.get_by_label("Plan").fill("Fresh food for 4 weeks; review the diary")
        note.get_by_role("button", name="Save draft").click()
        expect(page.get_by_text("Draft saved.")).to_be_visible()
        expect(note.get_by_label("Plan")).to_have_value("Fresh food for 4 weeks; review the diary")
        note.get_by_role("button", name="Sign note").click()
        expect(page.get_by_text("Note signed.")).to_be_visible()
        expect(note.get_by_role("button", name="Save correction")).to_be_visible()

        traveller.shift(timedelta(hours=25))
        log_in(page, seeded.practitioner.email)  # signed out meanwhile (automatic log-off)
        page.goto(f"/practice/appointments/{seeded.appointment.id}")
        note = page.get_by_role("region", name="Consultation note")
        expect(note.get_by_text("Locked")).to_be_visible()
        expect(note.get_by_label("Plan")).to_have_count(0)  # no longer a field
        expect(note).to_contain_text("Fresh food for 4 weeks; review the diary")
        note.get_by_label("Add an addendum").fill("Diary shows no pattern yet")
        note.get_by_role("button", name="Add addendum").click()
        expect(page.get_by_text("Addendum added.")).to_be_visible()
        expect(page.get_by_role("region", name="Consultation note")).to_contain_text("Diary shows no pattern yet")


def test_the_note_and_its_sections_page_have_no_accessibility_violations(page, seeded):
    found: dict[str, list] = {}
    log_in(page, seeded.practitioner.email)
    audit(page, f"/practice/appointments/{seeded.appointment.id}", found)
    audit(page, "/practice/note-template", found)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (f"/practice/appointments/{seeded.appointment.id}", "/practice/note-template"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert_none(found)
