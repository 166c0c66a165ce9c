"""The practice area on a 390 x 844 phone, with data in every page (appointments, a patient with an intake,
payments, audit records, a calendar with busy times and an error, undelivered email): no page scrolls
sideways, the practice navigation is a short menu that opens without JavaScript, and every form control
on every page can be tapped (Playwright's trial tap: the tap would land on the control itself)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from app.calendars import service as calendars
from app.clock import utcnow
from app.extensions import db
from app.models.calendars import CalendarBusy
from app.models.notify import OutboxMessage
from app.models.scheduling import ConsultationType
from app.scheduling.profiles import profile_for
from tests.support.browser import log_in
from tests.support.seeded import seed_two_patients

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def browser_context_options() -> dict:
    return {"timezone_id": "Europe/London", "locale": "en-GB", **PHONE}


@pytest.fixture
def busy_practice(live_server):
    s = seed_two_patients()
    now = utcnow()
    profile = profile_for(s.practitioner)
    calendar = calendars.add_calendar(profile, {
        "name": "Personal calendar with a long name", "kind": "ics",
        "url": "http://127.0.0.1:9/a-rather-long-private-address/basic.ics", "username": "", "password": "",
        "store_titles": False}, actor=s.practitioner, now=now)
    calendar.last_error = "The calendar server did not answer (connection refused) at its private address."
    calendar.last_attempt_at = now
    today = now.replace(hour=10, minute=0, second=0, microsecond=0)
    db.session.add_all(CalendarBusy(calendar_id=calendar.id, practitioner_id=profile.id, starts_at=start,
                                    ends_at=start + timedelta(hours=1))
                       for start in (today + timedelta(days=d) for d in range(3)))
    db.session.add(OutboxMessage(to="someone.with.a.long.address@example.com", subject="Your appointment is confirmed",
                                 text_body="-", kind="booking_confirmed", attempts=3, failed_at=now,
                                 last_error="550 5.1.1 The email account that you tried to reach does not exist."))
    db.session.add(OutboxMessage(to="retry@example.com", subject="Reminder: your appointment tomorrow",
                                 text_body="-", kind="reminder", attempts=2, next_attempt_at=now + timedelta(minutes=5),
                                 last_error="421 4.7.0 Try again later, closing connection."))
    db.session.commit()
    return s


def practice_pages(s) -> list[str]:
    c, m, le = s.course.id, s.lesson.module_id, s.lesson.id
    ct = db.session.scalar(db.select(ConsultationType.id).order_by(ConsultationType.id))
    return [
        "/practice", "/practice/schedule", "/practice/schedule?view=day", "/practice/book", "/practice/patients",
        f"/practice/patients/{s.a.id}",
        f"/practice/patients/{s.a.id}/intake/{s.intake.id}", f"/practice/patients/{s.a.id}/medicines",
        f"/practice/appointments/{s.appointment.id}", f"/practice/appointments/{s.appointment.id}/reschedule",
        "/practice/hours", "/practice/overrides", "/practice/time-off", "/practice/calendars", "/practice/types",
        "/practice/types/new", f"/practice/types/{ct}", "/practice/policy", "/practice/payments",
        "/practice/courses", "/practice/courses/new", f"/practice/courses/{c}", f"/practice/courses/{c}/enrolments",
        f"/practice/courses/{c}/enrolments/{s.enrollment.id}", f"/practice/courses/{c}/modules/{m}",
        f"/practice/courses/{c}/modules/new", f"/practice/courses/{c}/lessons/{le}",
        f"/practice/courses/{c}/lessons/new", f"/practice/courses/{c}/lessons/{le}/resources/{s.resource.id}",
        f"/practice/courses/{c}/lessons/{le}/resources/new", "/practice/notifications", "/practice/mail",
        "/practice/diary-settings", "/practice/note-template", "/practice/audit",
    ]


CONTROLS = "input:not([type=hidden]), select, textarea, button, summary"


def untappable(page: Page) -> list[str]:
    """Every visible form control of the page (and the menu's <summary>), tapped for real but as a trial
    (Playwright scrolls to it and checks that the tap would land on it, not on something covering it)."""
    missed = []
    controls = page.locator(CONTROLS)
    for n in range(controls.count()):
        control = controls.nth(n)
        if not control.is_visible() or not control.is_enabled():  # a closed menu's links; a disabled "move up"
            continue
        try:
            control.tap(trial=True, timeout=1500)
        except PlaywrightError as error:
            name = control.get_attribute("name") or control.inner_text()[:40]
            why = [line.strip() for line in str(error).splitlines() if "intercepts" in line or "outside" in line]
            missed.append(f"{control.evaluate('el => el.tagName')} {name}: {(why or ['timed out'])[0][:160]}")
    return missed


def test_no_practice_page_scrolls_sideways_on_a_phone_and_every_control_can_be_tapped(page: Page, busy_practice):
    log_in(page, busy_practice.practitioner.email)
    widths, missed_taps = {}, {}
    for path in practice_pages(busy_practice):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
        if path == "/practice/payments":  # a table row is a card whose cells name their column
            cell = page.locator("td[data-label='Amount']").first
            assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"Amount: "'
            assert cell.evaluate("td => getComputedStyle(td).display") == "block"
        missed = untappable(page)
        if missed:
            missed_taps[path] = missed
    print("scrollWidth at 390 px:", widths)
    print("controls a tap would miss:", missed_taps)
    assert ({path: width for path, width in widths.items() if width > 390}, missed_taps) == ({}, {})


def test_the_practice_menu_is_short_on_a_phone_and_opens_without_javascript(browser, live_server, busy_practice):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, timezone_id="Europe/London",
                                  locale="en-GB", **PHONE)
    try:
        page = context.new_page()
        log_in(page, busy_practice.practitioner.email)
        page.goto("/practice")
        menu = page.get_by_role("navigation", name="Practice")
        hours = menu.get_by_role("link", name="Weekly hours")
        expect(hours).to_be_hidden()  # collapsed: the agenda starts near the top
        heading_top = page.get_by_role("heading", level=2).first.bounding_box()["y"]
        assert heading_top < 500
        menu.get_by_text("Practice menu").click()
        expect(hours).to_be_visible()
        hours.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Weekly hours")
    finally:
        context.close()


def test_the_keep_titles_checkbox_on_the_calendars_page_takes_a_tap(page: Page, busy_practice):
    log_in(page, busy_practice.practitioner.email)
    page.goto("/practice/calendars")
    box = page.get_by_label("Also keep event titles")
    box.tap()
    expect(box).to_be_checked()
