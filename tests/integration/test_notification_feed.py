"""The practitioner's calendar subscription: a secret address, replaceable and revocable, listing her
booked appointments with as little health data as possible, parsed by vobject as a calendar app would."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.clock import utcnow
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.scheduling import Appointment
from app.scheduling import booking
from tests.conftest import DEFAULT_PASSWORD
from tests.support.notifications import calendar_of
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
FEED = re.compile(r"http://localhost(/practice/calendar/([A-Za-z0-9_-]{40,})\.ics)")


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def ada(make_user):
    return make_user("ada@example.com", full_name="Ada Lovelace", timezone="Europe/London")


def new_address(dr) -> str:
    response = post_form(dr, "/practice/notifications", {"action": "rotate"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    match = FEED.search(response.get_data(as_text=True))
    assert match, "the new address is shown"
    return match.group(1)


def past(patient, ct, days: int, status="completed") -> Appointment:
    start = NOW - timedelta(days=days)
    appointment = Appointment(
        patient_id=patient.id, practitioner_id=ct.practitioner_id, consultation_type_id=ct.id, starts_at=start,
        ends_at=start + timedelta(hours=1), blocked_start=start, blocked_end=start + timedelta(hours=1),
        status=status, price_minor=ct.price_minor, currency=ct.currency, patient_timezone=patient.timezone)
    db.session.add(appointment)
    db.session.commit()
    return appointment


def test_the_feed_is_a_calendar_that_subscriptions_accept(app, dr, practice, ada, book_appointment):
    _, _, ct = practice
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10)
    response = app.test_client().get(new_address(dr))  # no cookies, as Google's fetcher
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    calendar = calendar_of(response.get_data(as_text=True))
    assert calendar.version.value == "2.0" and calendar.prodid.value
    assert calendar.contents["x-wr-calname"][0].value == "Homeostasis appointments"
    [event] = calendar.vevent_list
    for name in ("uid", "dtstamp", "dtstart", "dtend", "summary", "url"):
        assert name in event.contents, name
    assert event.dtstart.value == THURSDAY_10 and event.dtstart.value.utcoffset() == timedelta(0)
    assert event.summary.value == "Initial consultation – AL"
    assert event.url.value == f"http://localhost/practice/appointments/{appointment.id}"


def test_the_feed_holds_no_full_name_email_or_symptom(app, dr, practice, ada, book_appointment):
    _, _, ct = practice
    book_appointment(ada, ct, starts_at=THURSDAY_10, note="Hives and flushing after meals; tryptase 14")
    body = app.test_client().get(new_address(dr)).get_data(as_text=True)
    unfolded = body.replace("\r\n ", "")
    for private in ("Ada", "Lovelace", "ada@example.com", "Hives", "flushing", "tryptase"):
        assert private not in unfolded, private


def test_the_feed_lists_booked_and_held_times_from_30_days_back(app, dr, practice, ada, make_user, book_appointment):
    _, _, ct = practice
    bea = make_user("bea@example.com", full_name="Bea Cole")
    book_appointment(ada, ct, starts_at=THURSDAY_10)
    book_appointment(bea, ct, starts_at=THURSDAY_10 + timedelta(hours=2), take_payment=True)  # a hold, awaiting payment
    cancelled = book_appointment(ada, ct, starts_at=THURSDAY_10 + timedelta(days=1))
    booking.cancel(cancelled, by=ada, now=utcnow())
    db.session.commit()
    past(ada, ct, days=29)
    past(ada, ct, days=31)
    past(bea, ct, days=3, status="expired")
    calendar = calendar_of(app.test_client().get(new_address(dr)).get_data(as_text=True))
    events = sorted(calendar.vevent_list, key=lambda e: e.dtstart.value)
    assert [(e.dtstart.value, e.status.value) for e in events] == [
        (NOW - timedelta(days=29), "CONFIRMED"),
        (THURSDAY_10, "CONFIRMED"),
        (THURSDAY_10 + timedelta(hours=2), "TENTATIVE"),
    ]
    assert events[2].summary.value == "Initial consultation – BC (awaiting payment)"


@pytest.mark.parametrize("token", ["wrong-token-" + "x" * 40, "", "a" * 43])
def test_a_wrong_token_is_a_404(app, dr, practice, token):
    new_address(dr)
    assert app.test_client().get(f"/practice/calendar/{token}.ics").status_code == 404


def test_replacing_the_address_retires_the_old_one(app, dr, practice):
    old = new_address(dr)
    new = new_address(dr)
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200


def test_turning_the_feed_off_makes_it_404_and_is_audited(app, dr, practice):
    address = new_address(dr)
    response = post_form(dr, "/practice/notifications", {"action": "revoke"})
    assert response.status_code == 303
    assert app.test_client().get(address).status_code == 404
    assert "No subscription address is active" in dr.get("/practice/notifications").get_data(as_text=True)
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent)
                                                    .where(AuditEvent.object_type == "calendar_feed"))]
    assert actions == ["rotate", "revoke"]


def test_only_the_token_hash_is_stored(dr, practice):
    _, profile, _ = practice
    token = new_address(dr).rsplit("/", 1)[1].removesuffix(".ics")
    db.session.refresh(profile)
    assert profile.calendar_feed_token_hash and token not in profile.calendar_feed_token_hash
    assert len(profile.calendar_feed_token_hash) == 64


def test_patients_cannot_manage_the_feed(client, auth, ada, practice):
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert client.get("/practice/notifications").status_code == 403
