"""The cancellation and reschedule window, per consultation type: patients change a booked visit online
only up to N hours before it starts (real hours, also across a DST change); inside the window the page
says why and how to reach the practice, and the API answers 409. The practitioner is bound by none of it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models.scheduling import Appointment
from app.scheduling.window import (
    Cutoffs,
    cancel_deadline,
    full_refund_due,
    kept_after_move,
    may_cancel,
    refund_notice_kept_after_move,
)
from tests.conftest import DEFAULT_PASSWORD
from tests.support.seeded import appointment_row
from tests.support.web import csrf_token, post_confirmed, post_form

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
# London springs forward at 01:00 UTC on Sunday 28 March 2027. One visit is before the change, one after;
# a 24- or 48-hour window of the later one straddles it.
# Instants in UTC: a timedelta taken from a London datetime would move its wall clock, not real time.
BEFORE_DST = datetime(2027, 3, 26, 10, 0, tzinfo=LONDON).astimezone(UTC)  # Friday 10:00 GMT = 10:00 UTC
AFTER_DST = datetime(2027, 3, 29, 10, 0, tzinfo=LONDON).astimezone(UTC)  # Monday 10:00 BST = 09:00 UTC
STARTS = pytest.mark.parametrize("start", [BEFORE_DST, AFTER_DST], ids=["before-dst", "after-dst"])
HOURS = pytest.mark.parametrize("hours", [24, 48])
# Minutes left beyond the cut-off: one minute more than N hours is still online; one minute less is not.
EDGE = pytest.mark.parametrize("margin, allowed", [(1, True), (-1, False)], ids=["N+1min", "N-1min"])


@pytest.fixture
def practice(make_practice):
    return make_practice(timezone="Europe/London", min_notice_minutes=0, horizon_days=120,
                         patient_cancel_cutoff_hours=24, patient_reschedule_cutoff_hours=48)


def visit_for(make_user, ct, start: datetime, hours: int, *, cancel: bool) -> tuple:
    if cancel:
        ct.patient_cancel_cutoff_hours = hours
    else:
        ct.patient_reschedule_cutoff_hours = hours
    db.session.commit()
    patient = make_user("ada@example.com", timezone="Europe/London")
    return patient, appointment_row(patient, ct, start=start.astimezone(UTC))


def signed_in_at(client, moment: datetime):
    traveller = time_machine.travel(moment, tick=False)
    traveller.start()
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    return traveller


@STARTS
@HOURS
@EDGE
def test_api_cancel_is_open_until_the_cutoff_and_409_after(client, practice, make_user, start, hours, margin, allowed):
    _, _, ct = practice
    _, visit = visit_for(make_user, ct, start, hours, cancel=True)
    traveller = signed_in_at(client, start.astimezone(UTC) - timedelta(hours=hours, minutes=margin))
    try:
        token = csrf_token(client, "/account")
        response = client.post(f"/api/v1/bookings/{visit.id}/cancel", json={}, headers={"X-CSRFToken": token})
    finally:
        traveller.stop()
    status = db.session.scalar(select(Appointment.status).where(Appointment.id == visit.id))
    if allowed:
        assert (response.status_code, status) == (200, "cancelled")
    else:
        assert (response.status_code, status) == (409, "confirmed")
        assert response.get_json()["error"]["message"] == (
            f"Appointments of this type can be cancelled online up to {hours} hours before they start. "
            "Please contact the practice.")


@STARTS
@HOURS
@EDGE
def test_reschedule_page_is_open_until_the_cutoff_and_refused_after(client, practice, make_user, start, hours,
                                                                      margin, allowed):
    _, _, ct = practice
    _, visit = visit_for(make_user, ct, start, hours, cancel=False)
    new_start = datetime(2027, 4, 7, 11, 0, tzinfo=LONDON).astimezone(UTC)  # a Wednesday inside her hours
    traveller = signed_in_at(client, start.astimezone(UTC) - timedelta(hours=hours, minutes=margin))
    try:
        page = client.get(f"/account/appointments/{visit.id}").get_data(as_text=True)
        response = post_confirmed(client, f"/account/appointments/{visit.id}/reschedule",
                                  {"start": new_start.isoformat()},
                                  token_from=f"/account/appointments/{visit.id}")
    finally:
        traveller.stop()
    moved_to = db.session.scalar(select(Appointment.starts_at).where(Appointment.id == visit.id))
    if allowed:
        assert (response.status_code, moved_to) == (303, new_start)
        assert ">Reschedule</a>" in page
    else:
        assert (response.status_code, moved_to) == (409, start.astimezone(UTC))
        assert ">Reschedule</a>" not in page
        assert f"can be moved online up to {hours} hours before they start" in page
        assert "Please contact the practice" in page and "mailto:dr@example.com" in page


def test_the_page_shows_the_practices_own_contact_details_inside_the_window(client, practice, make_user):
    _, profile, ct = practice
    profile.contact_email, profile.contact_phone = "hello@clinic.example", "+44 20 7946 0000"
    _, visit = visit_for(make_user, ct, AFTER_DST, 24, cancel=True)
    traveller = signed_in_at(client, AFTER_DST - timedelta(hours=2))
    try:
        page = client.get(f"/account/appointments/{visit.id}").get_data(as_text=True)
    finally:
        traveller.stop()
    assert "mailto:hello@clinic.example" in page and 'href="tel:+442079460000"' in page
    assert "Online cancelling closed at Sunday 28 March 2027, 10:00 BST" in page  # 24 real hours before 09:00 UTC
    assert "Cancel appointment" not in page


def test_deadline_is_real_hours_so_its_wall_clock_moves_across_the_change():
    cutoffs = Cutoffs(cancel_hours=48, reschedule_hours=48)
    zoned_start = AFTER_DST.astimezone(LONDON)  # the deadline is the same whichever zone the start carries
    deadline = cutoffs.cancel_deadline(zoned_start).astimezone(LONDON)
    assert deadline == datetime(2027, 3, 27, 9, 0, tzinfo=LONDON)  # 09:00 GMT, for a 10:00 BST visit
    assert deadline.astimezone(UTC) == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    assert may_cancel(cutoffs, zoned_start, deadline)
    assert not may_cancel(cutoffs, zoned_start, deadline + timedelta(seconds=1))


def test_a_hold_not_yet_paid_can_be_let_go_inside_the_window(client, practice, make_user):
    _, _, ct = practice
    patient = make_user("ada@example.com", timezone="Europe/London")
    now = AFTER_DST - timedelta(hours=3)
    hold = appointment_row(patient, ct, start=AFTER_DST.astimezone(UTC), status="pending_payment",
                           hold_expires_at=now + timedelta(minutes=30))
    traveller = signed_in_at(client, now)
    try:
        token = csrf_token(client, "/account")
        response = client.post(f"/api/v1/bookings/{hold.id}/cancel", json={}, headers={"X-CSRFToken": token})
    finally:
        traveller.stop()
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


def test_practitioner_reschedules_inside_the_window_and_inside_the_minimum_notice(client, app, make_practice,
                                                                                   make_user):
    _, _, ct = make_practice(timezone="Europe/London", min_notice_minutes=24 * 60, horizon_days=120,
                                patient_reschedule_cutoff_hours=48)
    patient = make_user("ada@example.com", timezone="Europe/London")
    visit = appointment_row(patient, ct, start=AFTER_DST.astimezone(UTC))
    now = AFTER_DST - timedelta(hours=3)  # Monday 07:00 BST
    soon = datetime(2027, 3, 29, 9, 0, tzinfo=LONDON).astimezone(UTC)  # two hours away: inside the 24 h notice
    with time_machine.travel(now, tick=False):
        dr = app.test_client()
        post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
        page = dr.get(f"/practice/appointments/{visit.id}/reschedule").get_data(as_text=True)
        response = post_confirmed(dr, f"/practice/appointments/{visit.id}/reschedule", {"start": soon.isoformat()},
                                  token_from=f"/practice/appointments/{visit.id}")
    assert 'aria-label="Choose Monday 29 March 2027, 09:00 BST"' in page
    assert response.status_code == 303
    moved = db.session.get(Appointment, visit.id)
    assert (moved.starts_at, moved.rescheduled_from) == (soon, AFTER_DST.astimezone(UTC))


def test_patient_cannot_use_the_practitioners_reschedule_page(client, practice, make_user):
    _, _, ct = practice
    _, visit = visit_for(make_user, ct, AFTER_DST, 24, cancel=True)
    traveller = signed_in_at(client, AFTER_DST - timedelta(days=5))
    try:
        assert client.get(f"/practice/appointments/{visit.id}/reschedule").status_code in (403, 404)
    finally:
        traveller.stop()


POLICY = {"display_name": "Dr Maya Test", "credentials": "MD", "bio": "", "timezone": "Europe/London",
          "cancellation_notice_hours": "48", "reschedule_notice_hours": "24", "max_reschedules": "2",
          "late_cancel_refund_percent": "50"}


def test_the_practitioner_sets_the_contact_details_patients_see(client, practice):
    _, profile, _ = practice
    post_form(client, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    response = post_form(client, "/practice/policy", {**POLICY, "contact_email": "hello@clinic.example",
                                                      "contact_phone": "+44 20 7946 0000"})
    assert response.status_code == 303
    db.session.refresh(profile)
    assert (profile.contact_email, profile.contact_phone) == ("hello@clinic.example", "+44 20 7946 0000")


@pytest.mark.parametrize("field, value, message", [
    ("contact_email", "not-an-address", "Enter an email address like hello@practice.example"),
    ("contact_phone", "call me", "Enter a phone number of digits"),
])
def test_bad_contact_details_are_refused(client, practice, field, value, message):
    _, profile, _ = practice
    post_form(client, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    response = post_form(client, "/practice/policy", {**POLICY, field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(profile)
    assert (profile.contact_email, profile.contact_phone) == ("", "")


# A moved visit keeps a cancel deadline that had passed (README, "How money is kept safe"). The table:
# (cut-off hours, hours before the old start when she moves it, deadline already kept) -> deadline kept.
OLD_START = datetime(2027, 4, 7, 9, 0, tzinfo=UTC)
KEPT_TABLE = [
    (48, 72, None, None),  # moved while cancelling was open: the new start's own cut-off applies
    (48, 48, None, None),  # moved exactly at the deadline: still open, nothing kept
    (48, 47, None, OLD_START - timedelta(hours=48)),  # moved inside the cut-off: that deadline stays
    (48, 30, None, OLD_START - timedelta(hours=48)),
    (0, 30, None, None),  # no cut-off (cancel until the start): nothing to keep
    (48, 72, OLD_START - timedelta(days=9), OLD_START - timedelta(days=9)),  # moved again: still kept
]


@pytest.mark.parametrize("cutoff, hours_before, kept, expected", KEPT_TABLE)
def test_kept_after_move_table(cutoff, hours_before, kept, expected):
    cutoffs = Cutoffs(cancel_hours=cutoff, reschedule_hours=24)
    assert kept_after_move(cutoffs, OLD_START, OLD_START - timedelta(hours=hours_before), kept) == expected


@pytest.mark.parametrize("kept, now_before_new_start, allowed", [
    (None, timedelta(days=7), True),  # a week ahead, nothing kept: open
    (OLD_START - timedelta(hours=48), timedelta(days=7), False),  # kept deadline passed: closed a week ahead
    (OLD_START + timedelta(days=35), timedelta(days=7), True),  # a kept deadline still ahead: open until it
])
def test_may_cancel_with_a_kept_deadline_table(kept, now_before_new_start, allowed):
    cutoffs = Cutoffs(cancel_hours=48, reschedule_hours=24)
    new_start = OLD_START + timedelta(days=40)
    assert may_cancel(cutoffs, new_start, new_start - now_before_new_start, kept) is allowed
    assert cancel_deadline(cutoffs, new_start, kept) == min(filter(None, [kept, new_start - timedelta(hours=48)]))


CUT_OFF_VISIT = datetime(2027, 4, 7, 10, 0, tzinfo=LONDON).astimezone(UTC)  # Wednesday 10:00 BST
NEXT_WEEK = datetime(2027, 4, 14, 10, 0, tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def cancel_cutoff_only(make_practice, make_user):
    """Cancelling closes 48 h before; the reschedule cut-off is empty (the policy's 24 h notice)."""
    _, profile, ct = make_practice(timezone="Europe/London", min_notice_minutes=0, horizon_days=120,
                                   patient_cancel_cutoff_hours=48, patient_reschedule_cutoff_hours=None)
    profile.contact_phone = "+44 20 7946 0000"
    db.session.commit()
    patient = make_user("ada@example.com", timezone="Europe/London")
    return appointment_row(patient, ct, start=CUT_OFF_VISIT)


def test_between_the_cutoffs_the_page_offers_reschedule_and_says_why_cancel_is_closed(client, cancel_cutoff_only):
    visit = cancel_cutoff_only
    traveller = signed_in_at(client, CUT_OFF_VISIT - timedelta(hours=30))
    try:
        page = client.get(f"/account/appointments/{visit.id}").get_data(as_text=True)
    finally:
        traveller.stop()
    assert ">Reschedule</a>" in page
    assert "Cancel appointment" not in page
    assert "Online cancelling closed at Monday 5 April 2027, 10:00 BST" in page
    assert "can be cancelled online up to 48 hours before they start" in page
    assert "mailto:dr@example.com" in page and 'href="tel:+442079460000"' in page


def test_moving_a_visit_inside_the_cancel_cutoff_does_not_reopen_cancelling(client, app, cancel_cutoff_only):
    visit = cancel_cutoff_only
    traveller = signed_in_at(client, CUT_OFF_VISIT - timedelta(hours=30))
    try:
        path = f"/account/appointments/{visit.id}"
        ask = post_form(client, f"{path}/reschedule", {"start": NEXT_WEEK.isoformat()}, token_from=path)
        assert ask.status_code == 200
        assert "Online cancelling stays closed" in ask.get_data(as_text=True)
        assert post_confirmed(client, f"{path}/reschedule", {"start": NEXT_WEEK.isoformat()},
                              token_from=path).status_code == 303
        token = csrf_token(client, "/account")
        api = client.post(f"/api/v1/bookings/{visit.id}/cancel", json={}, headers={"X-CSRFToken": token})
        page = client.get(path).get_data(as_text=True)
        form = post_form(client, f"{path}/cancel", {}, token_from=path)
    finally:
        traveller.stop()
    moved = db.session.get(Appointment, visit.id, populate_existing=True)
    assert (moved.starts_at, moved.status) == (NEXT_WEEK, "confirmed")
    assert moved.cancel_closed_at == CUT_OFF_VISIT - timedelta(hours=48)
    assert api.status_code == 409
    assert "moved after online cancelling had closed" in api.get_json()["error"]["message"]
    assert form.status_code == 409
    assert "Cancel appointment" not in page
    assert "this appointment was moved after that" in page and "mailto:dr@example.com" in page


def test_a_visit_moved_before_the_cutoff_can_be_cancelled_under_its_new_time(client, cancel_cutoff_only):
    visit = cancel_cutoff_only
    traveller = signed_in_at(client, CUT_OFF_VISIT - timedelta(hours=72))
    try:
        path = f"/account/appointments/{visit.id}"
        assert post_confirmed(client, f"{path}/reschedule", {"start": NEXT_WEEK.isoformat()},
                              token_from=path).status_code == 303
        token = csrf_token(client, "/account")
        api = client.post(f"/api/v1/bookings/{visit.id}/cancel", json={}, headers={"X-CSRFToken": token})
    finally:
        traveller.stop()
    assert api.status_code == 200 and api.get_json()["status"] == "cancelled"


def test_the_practice_can_still_cancel_a_visit_that_kept_its_deadline(client, app, cancel_cutoff_only):
    visit = cancel_cutoff_only
    with time_machine.travel(CUT_OFF_VISIT - timedelta(hours=30), tick=False):
        post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        path = f"/account/appointments/{visit.id}"
        post_confirmed(client, f"{path}/reschedule", {"start": NEXT_WEEK.isoformat()}, token_from=path)
        dr = app.test_client()
        post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
        practice_path = f"/practice/appointments/{visit.id}"
        response = post_confirmed(dr, f"{practice_path}/cancel", {"reason": "As you asked"}, token_from=practice_path)
    assert response.status_code == 303
    assert db.session.get(Appointment, visit.id, populate_existing=True).status == "cancelled"


# The same rule for the full-refund notice: (notice hours, hours before the old start when she moves it,
# notice already kept) -> the full-refund deadline kept.
REFUND_KEPT_TABLE = [
    (48, 72, None, None),
    (48, 48, None, None),  # exactly at the notice: still a full refund, nothing kept
    (48, 47, None, OLD_START - timedelta(hours=48)),
    (0, 1, None, None),  # no notice: always a full refund
    (48, 72, OLD_START - timedelta(days=9), OLD_START - timedelta(days=9)),
]


@pytest.mark.parametrize("notice, hours_before, kept, expected", REFUND_KEPT_TABLE)
def test_refund_notice_kept_after_move_table(notice, hours_before, kept, expected):
    now = OLD_START - timedelta(hours=hours_before)
    assert refund_notice_kept_after_move(OLD_START, notice, now, kept) == expected


@pytest.mark.parametrize("kept, hours_before_new_start, full", [
    (None, 72, True), (None, 47, False),
    (OLD_START - timedelta(hours=48), 24 * 30, False),  # kept and passed: the late share, a month ahead
])
def test_full_refund_due_table(kept, hours_before_new_start, full):
    new_start = OLD_START + timedelta(days=40)
    assert full_refund_due(new_start, 48, new_start - timedelta(hours=hours_before_new_start), kept) is full
