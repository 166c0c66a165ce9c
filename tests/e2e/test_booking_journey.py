"""Booking the first open initial consultation in a real browser, as a patient would: from the home page,
through the one booking screen (month, day, times), to the review page, giving her name and email and the
emailed code (or logging in), confirming, and finding the appointment in the account; and how many clicks
that takes. Times must appear in the zone the browser reports.

Nothing is frozen: the expected slot comes from the app's own schedule (`schedule.open_slots`)."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app import demo
from app.clock import utcnow
from app.extensions import db
from app.models.accounts import find_user_by_email
from app.models.scheduling import Appointment, DateOverride
from app.scheduling import schedule
from tests.support.verification import emailed_code

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # make_user's default
PRACTICE_ZONE = "America/New_York"
SLUG = "initial-consultation"
CONSULTATION = "Initial functional medicine consultation"
# Longest a journey takes from reading the expected slot to confirming it (see first_open_slot).
JOURNEY = timedelta(seconds=30)


@pytest.fixture
def browser_context_options(request) -> dict:
    """The browser's settings; a test changes them with indirect parametrisation."""
    return {"timezone_id": "Europe/London", "locale": "en-GB", **getattr(request, "param", {})}


# --- what the test expects -------------------------------------------------------------------------

def seed_practice() -> None:
    demo.seed()
    db.session.commit()


def first_open_slot(zone: str) -> datetime:
    """The first open start of the initial consultation, as the app computes it for a viewer in `zone`.

    The minimum notice moves with the clock, so the first slot changes every few minutes. If it is about
    to change before a journey could finish, wait for the change, so the browser and the test agree."""
    ct = schedule.active_type(SLUG)

    def first_at(now: datetime) -> datetime:
        today = now.astimezone(ZoneInfo(zone)).date()
        start, end = schedule.local_window(today, today + timedelta(days=ct.horizon_days), zone)
        return schedule.open_slots(ct, start, end, now)[0]

    now = utcnow()
    if first_at(now) != first_at(now + JOURNEY):
        time.sleep(JOURNEY.total_seconds())
        now = utcnow()
    slot = first_at(now)
    db.session.commit()  # end the test's read, the browser's requests write next
    return slot


def shown(instant: datetime, zone: str) -> str:
    """How a page writes an instant in `zone`, e.g. "Tuesday 3 March 2026, 09:00 JST"."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} {local.tzname()}"


def day_label(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B}"


def booked_start(email: str) -> datetime:
    db.session.commit()  # see what the browser's requests committed
    user = find_user_by_email(email)
    return db.session.scalars(select(Appointment).where(Appointment.patient_id == user.id)).one().starts_at


# --- what the patient sees and does ----------------------------------------------------------------

def summary(page: Page, term: str) -> Locator:
    """The value (<dd>) next to `term` (<dt>) in a page's summary list."""
    return page.locator(f'dl.summary dt:text-is("{term}") + dd')


def open_month_of(page: Page, day: datetime) -> None:
    """The month view starts at the current month; go on to the month of `day` if it is later."""
    title = page.locator("#month-title")
    if title.inner_text() != f"{day:%B %Y}":
        page.get_by_role("navigation", name="Months").get_by_role("link", name=re.compile(f"^{day:%B}")).click()
    expect(title).to_have_text(f"{day:%B %Y}")


def first_open_day(page: Page) -> Locator:
    return page.get_by_role("table").get_by_role("link", name=re.compile(r", open times available$")).first


def answer_safety_screen(page: Page, keyboard: bool = False) -> None:
    """The red-flag screen comes before the times: one answer for the whole list, then continue."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Before you book: are you safe right now?")
    none = page.get_by_role("button", name="None of these right now")
    if not keyboard:
        none.click()
        return
    tab_to(page, none)
    page.keyboard.press("Enter")


def choose_initial_consultation(page: Page) -> None:
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Book a consultation").click()
    page.get_by_role("link", name=CONSULTATION).click()
    answer_safety_screen(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSULTATION)


def expect_review(page: Page, slot: datetime, zone: str) -> None:
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    expect(summary(page, "When (your time)")).to_contain_text(shown(slot, zone))
    if zone != PRACTICE_ZONE:
        expect(summary(page, "When (the practice's time)")).to_have_text(shown(slot, PRACTICE_ZONE))


def expect_confirmed(page: Page, slot: datetime, zone: str) -> None:
    expect(page.get_by_text("Your consultation is booked.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSULTATION)
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(summary(page, "When")).to_contain_text(shown(slot, zone))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    upcoming = page.get_by_role("region", name="Upcoming appointments")
    expect(upcoming.get_by_role("link", name=CONSULTATION)).to_be_visible()
    expect(upcoming).to_contain_text(shown(slot, zone))


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has focus: it must be reachable from the keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {target}")


# --- the journeys ----------------------------------------------------------------------------------

@pytest.mark.parametrize("browser_context_options",
                         [{"timezone_id": "Asia/Tokyo"}, {"timezone_id": "America/Los_Angeles"}],
                         ids=["tokyo", "los-angeles"], indirect=True)
def test_new_patient_books_the_first_open_slot_in_their_own_time_zone(page, browser_context_options, mailbox):
    seed_practice()
    zone = browser_context_options["timezone_id"]
    slot = first_open_slot(zone)

    choose_initial_consultation(page)
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
    expect(page.get_by_text(f"Times are shown in {zone} (the practice is in {PRACTICE_ZONE})")).to_be_visible()
    open_month_of(page, slot.astimezone(ZoneInfo(zone)))

    day = first_open_day(page)
    expect(day).to_have_accessible_name(f"{day_label(slot, zone)}, open times available")
    day.click()
    # booking.js shows the day's times in place, from the API.
    times = page.locator("#day-times")
    expect(times.get_by_role("heading")).to_have_text(f"Open times on {day_label(slot, zone)}")
    first_time = times.get_by_role("link").first
    expect(first_time).to_have_text(f"{slot.astimezone(ZoneInfo(zone)):%H:%M}")
    assert "/day/" not in page.url
    first_time.click()

    expect_review(page, slot, zone)
    # No password: her name, email and consent, then the code emailed to her.
    page.get_by_label("Full name").fill("Ada Newpatient")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("I consent").check()
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code to book")
    expect(summary(page, "When (your time)")).to_contain_text(shown(slot, zone))
    page.get_by_label("Code from the email").fill(emailed_code(mailbox, "ada@example.com"))
    page.get_by_role("button", name="Confirm booking").click()

    expect_confirmed(page, slot, zone)
    assert booked_start("ada@example.com") == slot
    assert find_user_by_email("ada@example.com").timezone == zone  # her account keeps the zone she booked in


def test_registered_patient_books_with_the_keyboard_only(page, make_user):
    seed_practice()
    make_user("kim@example.com", full_name="Kim Keyboard", timezone="Europe/London")
    zone = "Europe/London"  # the browser's zone (the default context) and the patient's
    slot = first_open_slot(zone)

    page.goto("/auth/login")
    page.get_by_label("Email").fill("kim@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Kim Keyboard")).to_be_visible()

    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Book a consultation"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=CONSULTATION))
    page.keyboard.press("Enter")
    answer_safety_screen(page, keyboard=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSULTATION)
    local = slot.astimezone(ZoneInfo(zone))
    if page.locator("#month-title").inner_text() != f"{local:%B %Y}":
        tab_to(page, page.get_by_role("navigation", name="Months").get_by_role("link", name=re.compile(f"^{local:%B}")))
        page.keyboard.press("Enter")
        expect(page.locator("#month-title")).to_have_text(f"{local:%B %Y}")

    # Pick the day: its times appear below the calendar and their heading takes the focus.
    expect(page.get_by_role("table").get_by_text(", no open times").first).to_be_attached()  # closed days say so
    day = first_open_day(page)
    expect(day).to_have_accessible_name(f"{day_label(slot, zone)}, open times available")
    tab_to(page, day)
    page.keyboard.press("Enter")
    heading = page.locator("#day-times").get_by_role("heading")
    expect(heading).to_have_text(f"Open times on {day_label(slot, zone)}")
    expect(heading).to_be_focused()

    # Pick the time: the first time is the very next stop.
    page.keyboard.press("Tab")
    first_time = page.locator("#day-times").get_by_role("link").first
    expect(first_time).to_be_focused()
    expect(first_time).to_have_text(f"{local:%H:%M}")
    page.keyboard.press("Enter")

    # Confirm: past the optional note to the button, pressed with Space.
    expect_review(page, slot, zone)
    tab_to(page, page.get_by_label("Anything the practitioner should know before you meet? (optional)"))
    page.keyboard.type("Fragrances set me off.")
    tab_to(page, page.get_by_role("button", name="Confirm booking"))
    page.keyboard.press("Space")

    expect_confirmed(page, slot, zone)
    assert booked_start("kim@example.com") == slot


@pytest.mark.parametrize("browser_context_options", [{"timezone_id": "Asia/Tokyo"}], ids=["tokyo"], indirect=True)
def test_a_month_link_without_a_zone_shows_the_browsers_zone(page):
    """A link without ?tz= (typed, shared, or clicked before the script ran) must not leave a visitor
    reading the practice's times as if they were hers."""
    seed_practice()
    choose_initial_consultation(page)
    # The page's script replaces it at once with ?tz=: waiting for its "load" would race that replacement
    # (the first navigation is aborted when the script wins), so wait for the page it becomes.
    page.goto(f"/book/{SLUG}", wait_until="commit")
    page.wait_for_url("**tz=Asia%2FTokyo**")
    expect(page.get_by_text(f"Times are shown in Asia/Tokyo (the practice is in {PRACTICE_ZONE})")).to_be_visible()
    # The reload replaced the page in the history: Back does not return to the practice's times.
    page.go_back()
    assert not page.url.endswith(f"/book/{SLUG}")
    expect(page.get_by_text(f"Times are shown in {PRACTICE_ZONE}.")).to_have_count(0)


@pytest.mark.parametrize("browser_context_options", [{"timezone_id": "Asia/Tokyo", "java_script_enabled": False}],
                         ids=["tokyo-no-js"], indirect=True)
def test_booking_works_without_javascript(page, make_user):
    seed_practice()
    make_user("noor@example.com", full_name="Noor Nojs", timezone="Asia/Tokyo")
    zone = "Asia/Tokyo"
    slot = first_open_slot(zone)

    choose_initial_consultation(page)
    # Without JavaScript the server cannot know the browser's zone: it shows the practice's and offers a choice.
    expect(page.get_by_text(f"Times are shown in {PRACTICE_ZONE}.")).to_be_visible()
    page.get_by_label("Show times in another time zone").fill("Mars")  # names no zone: says so, shows no times
    page.get_by_role("button", name="Show times").click()
    expect(page.get_by_role("alert")).to_contain_text("We couldn't find a time zone for “Mars”")
    expect(page.locator("#day-times")).to_have_count(0)
    page.get_by_label("Show times in another time zone").fill("tokyo")  # a city, in any case
    page.get_by_role("button", name="Show times").click()
    expect(page.get_by_text(f"Times are shown in {zone} (the practice is in {PRACTICE_ZONE})")).to_be_visible()
    open_month_of(page, slot.astimezone(ZoneInfo(zone)))

    # The day link reloads the same screen with that day's times.
    day = first_open_day(page)
    expect(day).to_have_accessible_name(f"{day_label(slot, zone)}, open times available")
    day.click()
    local = slot.astimezone(ZoneInfo(zone))
    expect(page).to_have_url(re.compile(rf"/book/{SLUG}\?.*day={local:%Y-%m-%d}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSULTATION)
    expect(page.locator("#day-times").get_by_role("heading")).to_have_text(f"Open times on {day_label(slot, zone)}")
    first_time = page.locator("#day-times").get_by_role("link").first
    expect(first_time).to_have_text(f"{local:%H:%M}")
    first_time.click()

    expect_review(page, slot, zone)
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("noor@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(rf"/book/{SLUG}/review\?"))
    expect_review(page, slot, zone)
    page.get_by_role("button", name="Confirm booking").click()

    expect_confirmed(page, slot, zone)
    assert booked_start("noor@example.com") == slot


def test_a_day_closed_after_the_month_was_shown_says_it_has_no_times(page):
    seed_practice()
    zone = "Europe/London"
    slot = first_open_slot(zone)
    choose_initial_consultation(page)
    open_month_of(page, slot.astimezone(ZoneInfo(zone)))

    # Meanwhile the practitioner closes that day (every practice-local date it touches).
    ct = schedule.active_type(SLUG)
    local_day = slot.astimezone(ZoneInfo(zone)).date()
    for instant in schedule.local_window(local_day, local_day, zone):
        db.session.add(DateOverride(practitioner_id=ct.practitioner_id,
                                    day=instant.astimezone(ZoneInfo(PRACTICE_ZONE)).date()))
    db.session.commit()

    first_open_day(page).click()
    heading = page.locator("#day-times").get_by_role("heading")
    expect(heading).to_have_text(f"Open times on {day_label(slot, zone)}")
    expect(heading).to_be_focused()
    expect(page.locator("#day-times")).to_contain_text("No open times on this day any more")


# --- how many clicks -----------------------------------------------------------------------------

class Counted:
    """Clicks (or taps, on a phone) and key presses, counted as she makes them. Typing her name, email
    and the code (`fill`) is not counted: the issue's budget is clicks plus that typing."""

    def __init__(self, page: Page, tap: bool):
        self.page, self.tap, self.clicks, self.keys = page, tap, 0, 0

    def click(self, target: Locator) -> None:
        self.clicks += 1
        if self.tap:
            target.tap()
        else:
            target.click()

    def check(self, target: Locator) -> None:
        self.click(target)
        expect(target).to_be_checked()


def answer_safety_screen_counted(page: Page, counted: Counted) -> int:
    """Say none of the warning signs applies (one answer, one button, for the whole list). Returns the
    clicks it took."""
    before = counted.clicks
    expect(page.get_by_role("heading", level=1)).to_have_text("Before you book: are you safe right now?")
    counted.click(page.get_by_role("button", name="None of these right now"))
    return counted.clicks - before


@pytest.mark.parametrize("browser_context_options", [
    {"timezone_id": "Asia/Tokyo", "viewport": {"width": 1366, "height": 768}},
    {"timezone_id": "Asia/Tokyo", "viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
], ids=["desktop-1366x768", "phone-390x844"], indirect=True)
def test_home_page_to_a_confirmed_first_booking_in_few_clicks(page, browser_context_options, mailbox):
    seed_practice()
    zone = browser_context_options["timezone_id"]
    slot = first_open_slot(zone)
    counted = Counted(page, tap=browser_context_options.get("has_touch", False))

    page.goto("/")
    counted.click(page.get_by_role("main").get_by_role("link", name=CONSULTATION))  # the home page's price list
    safety = answer_safety_screen_counted(page, counted)
    # The one screen opens on the first open day, its times beside (or, on a phone, under) the month.
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSULTATION)
    times = page.locator("#day-times")
    expect(times.get_by_role("heading")).to_have_text(f"Open times on {day_label(slot, zone)}")
    counted.click(times.get_by_role("link", name=f"{slot.astimezone(ZoneInfo(zone)):%H:%M}", exact=True))
    expect_review(page, slot, zone)
    page.get_by_label("Full name").fill("Ada Newpatient")
    page.get_by_label("Email").fill("ada@example.com")
    counted.check(page.get_by_label("I consent"))
    counted.click(page.get_by_role("button", name="Email me a code"))
    page.get_by_label("Code from the email").fill(emailed_code(mailbox, "ada@example.com"))
    counted.click(page.get_by_role("button", name="Confirm booking (pay at the appointment)"))
    expect(page.get_by_text("Your consultation is booked.")).to_be_visible()
    assert booked_start("ada@example.com") == slot

    width = page.evaluate("document.documentElement.scrollWidth")
    print(f"home to booked ({browser_context_options['viewport']}): {counted.clicks} clicks "
          f"({safety} on the red-flag screen), {counted.keys} key presses, plus typing name, email and code; "
          f"page width {width}px")
    assert counted.keys == 0
    # The price list's link, the red-flag screen's one answer, a time, consent, "Email me a code" and
    # confirm: 6 (issue 21: at most 6).
    assert (counted.clicks, safety) == (6, 1)
    assert width <= browser_context_options["viewport"]["width"]  # nothing wider than the screen
