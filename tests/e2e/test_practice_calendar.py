"""The practitioner's calendar in a real browser: she finds a visit on the week grid and opens it (the
keyboard journey is in test_accessibility.py); on a 390 px phone the week shows one day at a time, nothing
scrolls sideways, and previous/next day links step through it; axe finds nothing on the calendar or agenda."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models.scheduling import TimeOff
from app.scheduling.profiles import profile_for
from tests.support.browser import assert_none, audit, log_in

pytestmark = pytest.mark.e2e


def visit_day(seeded) -> str:
    zone = ZoneInfo(profile_for(seeded.practitioner).timezone)
    return seeded.appointment.starts_at.astimezone(zone).date().isoformat()


def visit_link(page: Page, seeded):
    return page.locator(f'.cal-col a[href="/practice/appointments/{seeded.appointment.id}"]')


def test_she_opens_a_visit_from_the_week_grid(page, seeded):
    log_in(page, seeded.practitioner.email)
    page.goto(f"/practice/schedule?view=week&date={visit_day(seeded)}")
    link = visit_link(page, seeded)
    expect(link).to_be_visible()
    expect(link).to_contain_text(seeded.a.full_name)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(seeded.initial_type.name)


def test_on_a_phone_the_week_shows_one_day_and_nothing_scrolls_sideways(page, seeded):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, seeded.practitioner.email)
    day = visit_day(seeded)
    for path in ("/practice", f"/practice/schedule?view=week&date={day}", f"/practice/schedule?view=day&date={day}"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(f"/practice/schedule?view=week&date={day}")
    expect(page.locator(".cal-col:not(.is-selected)").first).to_be_hidden()
    visible = page.locator(".cal-col").evaluate_all("cols => cols.filter(c => c.offsetParent).map(c => c.dataset.day)")
    assert visible == [day]
    visit_link(page, seeded).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(seeded.initial_type.name)
    page.go_back()
    page.get_by_role("link", name="Next day").click()
    visible = page.locator(".cal-col").evaluate_all("cols => cols.filter(c => c.offsetParent).map(c => c.dataset.day)")
    assert len(visible) == 1 and visible[0] > day


def test_the_calendar_and_agenda_have_no_accessibility_violations(page, seeded):
    found: dict[str, list] = {}
    log_in(page, seeded.practitioner.email)
    audit(page, "/practice", found)
    audit(page, f"/practice/schedule?view=week&date={visit_day(seeded)}", found)
    audit(page, f"/practice/schedule?view=day&date={visit_day(seeded)}", found)
    page.set_viewport_size({"width": 390, "height": 844})
    audit(page, f"/practice/schedule?view=week&date={visit_day(seeded)}", found)
    assert_none(found)


def test_a_dst_week_draws_the_25_hour_day_taller_and_says_so(page, seeded):
    """New York's clocks go back on Sunday 1 November 2026: with the night shown (time off from midnight),
    that column is an hour taller than Saturday's, and its header says why."""
    profile = profile_for(seeded.practitioner)
    db.session.add(TimeOff(practitioner_id=profile.id, starts_at=datetime(2026, 11, 1, 4, 0, tzinfo=timezone.utc),
                           ends_at=datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc), reason="Night"))
    db.session.commit()
    log_in(page, seeded.practitioner.email)
    page.goto("/practice/schedule?view=week&date=2026-10-28")
    expect(page.get_by_text("Clocks go back: a 25-hour day")).to_be_visible()
    heights = {day: page.locator(f'.cal-col[data-day="{day}"] svg').bounding_box()["height"]
               for day in ("2026-10-31", "2026-11-01")}
    per_minute = heights["2026-10-31"] / (20 * 60)  # 00:00 to 20:00 on an ordinary day
    assert abs(heights["2026-11-01"] - heights["2026-10-31"] - 60 * per_minute) < 2
