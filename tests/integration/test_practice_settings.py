"""The practitioner's schedule editors (/practice/hours, overrides, time-off, types, policy), checked
through the pages and, end to end, through the slots the JSON API then offers."""
from __future__ import annotations

import re
from datetime import datetime, time, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.scheduling import (
    ConsultationType,
    DateOverride,
    PractitionerProfile,
    TimeOff,
    WeeklyAvailability,
)
from app.scheduling.profiles import profile_for
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import post_form

ZONE = "America/New_York"
NOW = "2027-03-01 12:00:00+00:00"  # a Monday; New York is on EST (UTC-5) until 14 March
EDITORS = ["/practice/hours", "/practice/overrides", "/practice/time-off", "/practice/types",
           "/practice/types/new", "/practice/policy"]


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def practice(app, make_user, frozen):
    """A practitioner in New York, open Monday to Friday 09:00-17:00, with one 60-minute type."""
    user = make_user("doctor@example.com", role="practitioner", timezone=ZONE, full_name="Dr. Maya Lindqvist")
    profile = profile_for(user)
    profile.weekly_hours = [WeeklyAvailability(weekday=d, start_time=time(9), end_time=time(17)) for d in range(5)]
    ct = ConsultationType(practitioner_id=profile.id, slug="follow-up", name="Follow-up consultation",
                          duration_minutes=60, price_minor=15000, min_notice_minutes=60, horizon_days=60,
                          granularity_minutes=60, location="https://meet.example.com/f")
    db.session.add(ct)
    db.session.commit()
    return {"user": user, "profile": profile, "type": ct}


@pytest.fixture
def signed_in(practice, auth):
    auth.login("doctor@example.com", DEFAULT_PASSWORD)
    return practice


def slot_starts(client, day: str, slug: str = "follow-up") -> list[str]:
    """Local start times offered on `day` (New York), like "09:00"."""
    response = client.get(f"/api/v1/slots?type={slug}&start={day}&end={day}&tz={ZONE}")
    assert response.status_code == 200, response.get_json()
    return [slot["start"][11:16] for slot in response.get_json()["slots"]]


def snapshot() -> dict:
    """Every row the editors can write, to show a refused POST changed nothing."""
    def rows(model):
        return sorted(tuple(sorted((k, repr(v)) for k, v in vars(r).items() if not k.startswith("_")))
                      for r in db.session.scalars(select(model)))
    db.session.expire_all()
    return {m.__name__: rows(m) for m in (WeeklyAvailability, DateOverride, TimeOff, ConsultationType,
                                          PractitionerProfile, AuditEvent)}


def schedule_audits() -> list[dict]:
    return [e.detail for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.object_type == "schedule")
        .order_by(AuditEvent.id))]


def error_is_tied_to_its_input(page: str, field: str) -> bool:
    """The input names its error in aria-describedby, and the error summary links to the input."""
    described = re.search(rf'<[^>]*aria-describedby="[^"]*\b{field}-error\b[^"]*"[^>]*id="{field}"', page)
    return bool(described) and f'id="{field}-error"' in page and f'href="#{field}"' in page


def type_form(**overrides) -> dict:
    data = {"name": "Initial consultation", "slug": "initial", "description": "", "duration_minutes": "60",
            "buffer_before_minutes": "0", "buffer_after_minutes": "15", "granularity_minutes": "15",
            "min_notice_hours": "24", "horizon_days": "60", "max_per_day": "", "reminder_lead_hours": "24",
            "price": "350.00", "currency": "USD", "mode": "video", "location": "https://meet.example.com/i",
            "intake_required": "y", "active": "y", "display_order": "1"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def policy_form(**overrides) -> dict:
    data = {"display_name": "Dr. Maya Lindqvist", "credentials": "MD", "bio": "", "timezone": ZONE,
            "cancellation_notice_hours": "48", "reschedule_notice_hours": "24", "max_reschedules": "2",
            "late_cancel_refund_percent": "50"}
    return {**data, **overrides}


# --- weekly hours ---------------------------------------------------------------------------------

def test_hours_page_shows_each_weekday_with_its_ranges(client, signed_in):
    page = client.get("/practice/hours").get_data(as_text=True)
    assert "<legend>Monday</legend>" in page and "<legend>Sunday</legend>" in page
    assert 'name="day-0-0-start" type="time" value="09:00"' in page
    assert 'Monday, range 2, from' in page  # a spare row to add another range


def test_saving_weekly_hours_replaces_all_ranges_in_one_audited_change(client, signed_in):
    response = post_form(client, "/practice/hours", {
        "day-0-0-start": "09:00", "day-0-0-end": "12:00", "day-0-1-start": "13:00", "day-0-1-end": "17:00",
        "day-0-2-start": "", "day-0-2-end": "", "day-2-0-start": "10:00", "day-2-0-end": "14:00"})
    assert response.status_code == 303 and response.headers["Location"] == "/practice/hours"
    rows = db.session.execute(select(WeeklyAvailability.weekday, WeeklyAvailability.start_time,
                                     WeeklyAvailability.end_time).order_by(WeeklyAvailability.weekday,
                                                                           WeeklyAvailability.start_time)).all()
    assert rows == [(0, time(9), time(12)), (0, time(13), time(17)), (2, time(10), time(14))]
    assert schedule_audits()[-1]["section"] == "weekly_hours"
    assert "Weekly hours saved (3 ranges)" in client.get("/practice/hours").get_data(as_text=True)


def test_touching_ranges_on_one_day_are_accepted(client, signed_in):
    response = post_form(client, "/practice/hours", {"day-1-0-start": "09:00", "day-1-0-end": "12:00",
                                                     "day-1-1-start": "12:00", "day-1-1-end": "17:00"})
    assert response.status_code == 303
    assert slot_starts(client, "2027-03-02") == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00",
                                                 "16:00"]


def test_adding_saturday_hours_makes_saturday_slots_appear(client, signed_in):
    assert slot_starts(client, "2027-03-06") == []
    weekdays = {f"day-{d}-0-{part}": value for d in range(5) for part, value in (("start", "09:00"), ("end", "17:00"))}
    response = post_form(client, "/practice/hours", {**weekdays, "day-5-0-start": "10:00", "day-5-0-end": "12:00"})
    assert response.status_code == 303
    assert slot_starts(client, "2027-03-06") == ["10:00", "11:00"]
    assert slot_starts(client, "2027-03-08")[0] == "09:00"  # the other days are kept


# --- date overrides -------------------------------------------------------------------------------

def test_an_override_closing_a_day_removes_that_days_slots(client, signed_in):
    assert slot_starts(client, "2027-03-10")
    response = post_form(client, "/practice/overrides", {"day": "2027-03-10", "kind": "closed", "note": "Conference"})
    assert response.status_code == 303 and response.headers["Location"] == "/practice/overrides"
    assert slot_starts(client, "2027-03-10") == []
    assert slot_starts(client, "2027-03-11")
    page = client.get("/practice/overrides").get_data(as_text=True)
    assert "Wednesday 10 March 2027" in page and "Closed all day" in page and "Conference" in page


def test_an_override_with_ranges_replaces_that_days_hours_and_any_earlier_override(client, signed_in):
    post_form(client, "/practice/overrides", {"day": "2027-03-10", "kind": "closed"})
    response = post_form(client, "/practice/overrides", {
        "day": "2027-03-10", "kind": "open", "range-0-start": "07:00", "range-0-end": "09:00",
        "range-1-start": "18:00", "range-1-end": "19:00"})
    assert response.status_code == 303
    assert slot_starts(client, "2027-03-10") == ["07:00", "08:00", "18:00"]
    assert len(db.session.scalars(select(DateOverride)).all()) == 2


def test_deleting_an_override_brings_back_the_weekly_hours(client, signed_in):
    post_form(client, "/practice/overrides", {"day": "2027-03-10", "kind": "closed"})
    response = post_form(client, "/practice/overrides/2027-03-10/delete", {}, token_from="/practice/overrides")
    assert response.status_code == 303
    assert db.session.scalars(select(DateOverride)).all() == []
    assert slot_starts(client, "2027-03-10")[0] == "09:00"
    assert schedule_audits()[-1] == {"section": "date_override", "day": "2027-03-10", "deleted": True}


def test_deleting_an_override_that_does_not_exist_is_404(client, signed_in):
    for day in ("2027-03-10", "not-a-date"):
        response = post_form(client, f"/practice/overrides/{day}/delete", {}, token_from="/practice/overrides")
        assert response.status_code == 404


# --- time off -------------------------------------------------------------------------------------

def test_time_off_removes_the_slots_it_covers(client, signed_in):
    assert slot_starts(client, "2027-03-02") == [f"{h:02d}:00" for h in range(9, 17)]
    response = post_form(client, "/practice/time-off", {"starts_at": "2027-03-02T10:30", "ends_at": "2027-03-02T13:00",
                                                        "reason": "Dentist"})
    assert response.status_code == 303 and response.headers["Location"] == "/practice/time-off"
    assert slot_starts(client, "2027-03-02") == ["09:00", "13:00", "14:00", "15:00", "16:00"]
    off = db.session.scalar(select(TimeOff))
    assert (off.starts_at, off.ends_at) == (datetime(2027, 3, 2, 15, 30, tzinfo=timezone.utc),
                                            datetime(2027, 3, 2, 18, 0, tzinfo=timezone.utc))


def test_time_off_over_a_booked_appointment_keeps_it_and_says_so(client, signed_in, make_user, book_appointment):
    patient = make_user("patient@example.com", timezone="Europe/London")
    book_appointment(patient, signed_in["type"], starts_at=datetime(2027, 3, 2, 15, 0, tzinfo=timezone.utc))
    response = post_form(client, "/practice/time-off", {"starts_at": "2027-03-02T09:00", "ends_at": "2027-03-02T12:00"},
                         follow_redirects=True)
    assert "1 booked appointment falls inside it and stays booked" in response.get_data(as_text=True)
    assert db.session.scalar(select(TimeOff)) is not None


def test_time_off_at_a_local_time_skipped_by_dst_is_refused(client, signed_in):
    before = snapshot()
    response = post_form(client, "/practice/time-off", {"starts_at": "2027-03-14T02:30", "ends_at": "2027-03-14T05:00"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "02:30 on Sunday 14 March 2027 does not exist in America/New_York" in page
    assert error_is_tied_to_its_input(page, "starts_at")
    assert snapshot() == before


def test_time_off_at_a_repeated_local_time_starts_at_the_earlier_instant(client, signed_in):
    post_form(client, "/practice/time-off", {"starts_at": "2027-11-07T01:30", "ends_at": "2027-11-07T03:00"})
    off = db.session.scalar(select(TimeOff))
    assert off.starts_at == datetime(2027, 11, 7, 5, 30, tzinfo=timezone.utc)  # 01:30 EDT, not EST


def test_deleting_time_off_reopens_its_slots(client, signed_in):
    post_form(client, "/practice/time-off", {"starts_at": "2027-03-02T00:00", "ends_at": "2027-03-03T00:00"})
    off_id = db.session.scalar(select(TimeOff.id))
    response = post_form(client, f"/practice/time-off/{off_id}/delete", {}, token_from="/practice/time-off")
    assert response.status_code == 303
    assert slot_starts(client, "2027-03-02")[0] == "09:00"
    again = post_form(client, f"/practice/time-off/{off_id}/delete", {}, token_from="/practice/time-off")
    assert again.status_code == 404


def test_another_practitioners_time_off_cannot_be_deleted(client, signed_in, make_user):
    other = profile_for(make_user("other@example.com", role="practitioner"))
    off = TimeOff(practitioner_id=other.id, starts_at=datetime(2027, 3, 2, tzinfo=timezone.utc),
                  ends_at=datetime(2027, 3, 3, tzinfo=timezone.utc))
    db.session.add(off)
    db.session.commit()
    response = post_form(client, f"/practice/time-off/{off.id}/delete", {}, token_from="/practice/time-off")
    assert response.status_code == 404
    assert db.session.get(TimeOff, off.id) is not None


# --- consultation types ---------------------------------------------------------------------------

def test_a_new_type_stores_the_price_in_minor_units_and_the_currency_in_lowercase(client, signed_in):
    response = post_form(client, "/practice/types/new", type_form())
    assert response.status_code == 303 and response.headers["Location"] == "/practice/types"
    ct = db.session.scalar(select(ConsultationType).where(ConsultationType.slug == "initial"))
    assert (ct.price_minor, ct.currency, ct.min_notice_minutes, ct.reminder_lead_minutes) == (35000, "usd", 1440, 1440)
    assert ct.practitioner_id == signed_in["profile"].id and ct.max_per_day is None
    assert "Initial consultation" in client.get("/practice/types").get_data(as_text=True)


@pytest.mark.parametrize("name", ["Initial\nconsultation", "Initial\r\nBcc: x@example.com", "Initial\tconsultation",
                                  "Initial\u2028consultation"], ids=["newline", "header-injection", "tab", "line-sep"])
def test_a_type_name_on_more_than_one_line_is_refused(client, signed_in, name):
    # The name becomes an email's Subject ("Booked: NAME"): a line break there made the email unbuildable.
    response = post_form(client, "/practice/types/new", type_form(name=name))
    assert response.status_code == 422
    assert "Keep this on one line" in response.get_data(as_text=True)
    assert db.session.scalar(select(ConsultationType).where(ConsultationType.slug == "initial")) is None


def test_editing_a_type_shows_its_values_and_saves_changes(client, signed_in):
    ct_id = signed_in["type"].id
    page = client.get(f"/practice/types/{ct_id}").get_data(as_text=True)
    assert 'value="150.00"' in page and 'value="follow-up"' in page
    response = post_form(client, f"/practice/types/{ct_id}", type_form(
        slug="follow-up", name="Follow-up", price="99.50", duration_minutes="45", max_per_day="3"))
    assert response.status_code == 303
    ct = db.session.get(ConsultationType, ct_id)
    assert (ct.name, ct.price_minor, ct.duration_minutes, ct.max_per_day) == ("Follow-up", 9950, 45, 3)


def test_a_deactivated_type_disappears_from_booking_page_and_api(client, signed_in):
    assert "Follow-up consultation" in client.get("/book").get_data(as_text=True)
    ct_id = signed_in["type"].id
    response = post_form(client, f"/practice/types/{ct_id}", type_form(
        slug="follow-up", name="Follow-up consultation", active=None))
    assert response.status_code == 303
    assert "It is not open for booking" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Follow-up consultation" not in client.get("/book").get_data(as_text=True)
    assert client.get("/api/v1/consultation-types").get_json()["consultation_types"] == []
    assert db.session.get(ConsultationType, ct_id).active is False  # kept, not deleted


def test_another_practitioners_type_is_404(client, signed_in, make_user):
    other = profile_for(make_user("other@example.com", role="practitioner"))
    ct = ConsultationType(practitioner_id=other.id, slug="theirs", name="Theirs", duration_minutes=30, price_minor=0)
    db.session.add(ct)
    db.session.commit()
    assert client.get(f"/practice/types/{ct.id}").status_code == 404
    assert post_form(client, f"/practice/types/{ct.id}", type_form(), token_from="/practice/types").status_code == 404


# --- policy ---------------------------------------------------------------------------------------

def test_saving_the_policy_updates_the_profile(client, signed_in):
    response = post_form(client, "/practice/policy", policy_form(timezone="Europe/Stockholm", credentials="MD, IFMCP"))
    assert response.status_code == 303 and response.headers["Location"] == "/practice/policy"
    profile = db.session.get(PractitionerProfile, signed_in["profile"].id)
    assert (profile.timezone, profile.credentials, profile.late_cancel_refund_percent) == ("Europe/Stockholm",
                                                                                          "MD, IFMCP", 50)
    assert schedule_audits()[-1] == {"section": "policy",
                                     "changed": ["credentials", "timezone", "late_cancel_refund_percent"]}


# --- validation -----------------------------------------------------------------------------------

HOURS = "/practice/hours"
OVERRIDES = "/practice/overrides"
TIME_OFF = "/practice/time-off"
NEW_TYPE = "/practice/types/new"
EDIT_TYPE = "/practice/types/{type_id}"
POLICY = "/practice/policy"


@pytest.mark.parametrize(("path", "data", "message"), [
    (HOURS, {"day-0-0-start": "12:00", "day-0-0-end": "09:00"}, "The end must be after the start."),
    (HOURS, {"day-0-0-start": "09:00", "day-0-0-end": "13:00", "day-0-1-start": "12:00", "day-0-1-end": "17:00"},
     "This overlaps 09:00–13:00"),
    (HOURS, {"day-0-0-start": "09:00", "day-0-0-end": "17:00", "day-0-1-start": "10:00", "day-0-1-end": "11:00",
             "day-0-2-start": "12:00", "day-0-2-end": "13:00"}, "This overlaps 09:00–17:00"),
    (HOURS, {"day-3-0-start": "abc", "day-3-0-end": "17:00"}, "Enter a time on the 24-hour clock"),
    (HOURS, {"day-3-0-start": "09:00", "day-3-0-end": ""}, "Enter an end time"),
    (HOURS, {"day-3-0-start": "09:00", "day-3-0-end": "24:00"}, "use 23:59 instead of 24:00"),
    (OVERRIDES, {"day": "2027-02-30", "kind": "closed"}, "Enter a date like 2027-03-14."),
    (OVERRIDES, {"day": "2027-02-27", "kind": "closed"}, "Choose today or a later date."),
    (OVERRIDES, {"day": "2027-03-10", "kind": "open"}, "Enter at least one range of opening hours"),
    (OVERRIDES, {"day": "2027-03-10", "kind": "closed", "range-0-start": "09:00", "range-0-end": "10:00"},
     "You chose closed all day"),
    (TIME_OFF, {"starts_at": "2027-03-02T12:00", "ends_at": "2027-03-02T11:00"}, "The end must be after the start."),
    (TIME_OFF, {"starts_at": "tomorrow", "ends_at": "2027-03-02T11:00"}, "Enter the start as a date and time"),
    (TIME_OFF, {"starts_at": "2027-02-01T09:00", "ends_at": "2027-02-01T11:00"}, "This time has already passed."),
    (NEW_TYPE, type_form(slug="Bad Slug!"), "Use lowercase letters, digits and single hyphens"),
    (NEW_TYPE, type_form(slug="follow-up"), "Another consultation type already uses this slug."),
    (NEW_TYPE, type_form(slug="safety"), "is used by the booking pages themselves"),
    (NEW_TYPE, type_form(name=""), "Enter a name."),
    (NEW_TYPE, type_form(duration_minutes="abc"), "Enter a whole number of minutes from 1 to 1440."),
    (NEW_TYPE, type_form(duration_minutes="-1"), "Enter a whole number of minutes from 1 to 1440."),
    (NEW_TYPE, type_form(duration_minutes=""), "Enter a whole number of minutes from 1 to 1440."),
    (NEW_TYPE, type_form(duration_minutes="9" * 40), "Enter a whole number of minutes from 1 to 1440."),
    (NEW_TYPE, type_form(duration_minutes="1400", buffer_after_minutes="60"), "at most 24 hours (1440 minutes)"),
    (NEW_TYPE, type_form(price="-5"), "An amount can&#39;t be negative"),
    (NEW_TYPE, type_form(price="abc"), "Enter an amount like 150.00"),
    (NEW_TYPE, type_form(price="1.234"), "with at most two decimal places"),
    (NEW_TYPE, type_form(currency="dollars"), "Enter a three-letter ISO currency code"),
    (NEW_TYPE, type_form(currency="JPY"), "JPY has no cents-style minor unit"),
    (NEW_TYPE, type_form(granularity_minutes="7"), "Choose 5, 6, 10, 12, 15, 20, 30 or 60 minutes"),
    (NEW_TYPE, type_form(mode="carrier-pigeon"), "Choose video call, phone call or in person."),
    (NEW_TYPE, type_form(location=""), "Enter the meeting link for video calls"),
    (NEW_TYPE, type_form(min_notice_hours="2000", horizon_days="30"), "must be shorter than the booking horizon"),
    (NEW_TYPE, type_form(max_per_day="0"), "Enter a whole number of consultations from 1 to 100."),
    (EDIT_TYPE, type_form(slug="follow-up", description="x" * 5001), "Use at most 5,000 characters (this has 5,001)."),
    (POLICY, policy_form(timezone="Mars/Olympus_Mons"), "Choose a time zone from the list"),
    (POLICY, policy_form(late_cancel_refund_percent="101"), "Enter a percentage from 0 to 100."),
    (POLICY, policy_form(max_reschedules="abc"), "Enter a whole number of reschedules from 0 to 20."),
    (POLICY, policy_form(display_name=" "), "Enter the name patients see."),
    (POLICY, policy_form(bio="a\x00b"), "Remove the invisible control characters"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(client, signed_in, path, data, message):
    path = path.format(type_id=signed_in["type"].id)
    before = snapshot()
    response = post_form(client, path, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Please check the form" in page  # the error summary
    assert snapshot() == before


def test_every_problem_is_reported_at_once_and_the_input_is_kept(client, signed_in):
    response = post_form(client, "/practice/types/new", type_form(slug="Bad Slug", duration_minutes="abc",
                                                                  price="-1", name="Keep me"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("slug", "duration_minutes", "price"):
        assert error_is_tied_to_its_input(page, field)
    assert 'value="Keep me"' in page and 'value="abc"' in page


def test_a_refused_hours_form_keeps_every_row_typed(client, signed_in):
    response = post_form(client, "/practice/hours", {"day-6-0-start": "08:00", "day-6-0-end": "07:00",
                                                     "day-6-3-start": "20:00", "day-6-3-end": "21:00"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'name="day-6-3-start" type="time" value="20:00"' in page
    assert error_is_tied_to_its_input(page, "day-6-0-end")


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    *[("GET", path) for path in EDITORS + ["/practice/types/1"]],
    *[("POST", path) for path in EDITORS + ["/practice/types/1", "/practice/overrides/2027-03-10/delete",
                                            "/practice/time-off/1/delete"] if path != "/practice/types"],
])
def test_a_patient_is_forbidden_every_editor(client, auth, make_user, method, path):
    make_user("patient@example.com")
    auth.login("patient@example.com", DEFAULT_PASSWORD)
    if method == "GET":
        assert client.get(path).status_code == 403
    else:
        assert post_form(client, path, {}, token_from="/").status_code == 403


@pytest.mark.parametrize("path", EDITORS)
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
