"""The confirmation steps in a real browser: cancelling, rescheduling (patient, on a phone) and
cancelling, refunding, rescheduling (practitioner) each stop on a page that says what will happen, with
a way back that changes nothing; that page, the privacy notice and her profile settings are axe-clean,
and the patient's confirmation pages fit a 390 px phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models.billing import Refund
from app.models.scheduling import Appointment
from tests.support.browser import assert_none, audit, log_in
from tests.support.seeded import seed_two_patients

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "timezone_id": "Europe/Paris", "locale": "en-GB"}


@pytest.fixture
def seeded(live_server):
    s = seed_two_patients()
    db.session.commit()
    return s


def fresh(appointment_id: int) -> Appointment:
    db.session.rollback()
    return db.session.get(Appointment, appointment_id, populate_existing=True)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def browser_context_options():
    return PHONE


def test_a_patient_on_a_phone_confirms_before_cancelling_or_moving(page, seeded):
    visit = seeded.b_appointment
    before = fresh(visit.id).starts_at
    found: dict[str, list] = {}
    log_in(page, seeded.b.email)
    page.goto(f"/account/appointments/{visit.id}")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this appointment?")
    expect(page.get_by_text("Nothing has changed yet.")).to_be_visible()
    expect(page.get_by_text(f"We email you the cancellation at {seeded.b.email}")).to_be_visible()
    audit(page, "", found)
    fits_the_phone(page)
    assert fresh(visit.id).status == "confirmed"
    page.get_by_role("link", name="No, keep it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(visit.consultation_type.name)
    assert fresh(visit.id).status == "confirmed"

    page.get_by_role("link", name="Reschedule").click()
    page.locator(".slot-list button").first.click()  # the first tap of a time
    expect(page.get_by_role("heading", level=1)).to_have_text("Move this appointment?")
    expect(page.get_by_text("(your time, Europe/Paris)")).to_be_visible()
    expect(page.get_by_text("For the practice (")).to_be_visible()
    audit(page, "", found)
    fits_the_phone(page)
    assert fresh(visit.id).starts_at == before  # nothing moved yet
    page.get_by_role("button", name="Yes, move it to").click()
    expect(page.get_by_text("Your appointment has been moved.")).to_be_visible()
    assert fresh(visit.id).starts_at != before
    assert_none(found)


def test_the_practitioner_confirms_before_cancelling_refunding_or_moving(browser, live_server, seeded):
    context = browser.new_context(base_url=live_server, timezone_id="Europe/London", locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    found: dict[str, list] = {}
    try:
        log_in(page, seeded.practitioner.email)
        paid = seeded.appointment  # paid in cash in the seed
        page.goto(f"/practice/appointments/{paid.id}")
        page.get_by_label("Refund amount").fill("10.00")
        page.get_by_role("button", name="Refund").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Issue this refund?")
        expect(page.get_by_text("The payment was recorded by hand, so give the money back yourself")).to_be_visible()
        audit(page, "", found)
        page.get_by_role("link", name="No, go back").click()
        db.session.rollback()
        assert db.session.scalars(select(Refund)).all() == []

        moving = seeded.follow_up
        before = fresh(moving.id).starts_at
        page.goto(f"/practice/appointments/{moving.id}/reschedule")
        page.locator(".slot-list button").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Move this appointment?")
        expect(page.get_by_text(f"For the patient ({moving.patient_timezone}) that is")).to_be_visible()
        audit(page, "", found)
        assert fresh(moving.id).starts_at == before
        page.get_by_role("button", name="Yes, move it to").click()
        expect(page.get_by_text("The appointment has been moved and the patient told.")).to_be_visible()
        assert fresh(moving.id).starts_at != before

        page.goto(f"/practice/appointments/{seeded.b_appointment.id}")
        page.get_by_label("Reason, shown to the patient").fill("I am unwell")
        page.get_by_role("button", name="Cancel appointment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this appointment?")
        audit(page, "", found)
        assert fresh(seeded.b_appointment.id).status == "confirmed"
        page.get_by_role("button", name="Yes, cancel").click()
        expect(page.get_by_text("The appointment has been cancelled and the patient told.")).to_be_visible()
        assert fresh(seeded.b_appointment.id).status == "cancelled"

        audit(page, "/practice/policy", found)
        audit(page, "/privacy-notice", found)
        audit(page, "/", found)  # with her profile, prices and contact
    finally:
        context.close()
    assert_none(found)
