"""Calendar invites written by icalendar, read back by vobject (an independent parser): the UID stays,
SEQUENCE rises, times are UTC, METHOD says what the message is."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app.notify import invites
from tests.support.notifications import calendar_of, raw_line

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # 15:00 UTC


@pytest.fixture(autouse=True)
def app_context():
    app = Flask(__name__)
    app.config.update(BASE_URL="https://care.example.org", PRACTICE_NAME="Homeostasis")
    with app.app_context():
        yield


def appointment(**overrides):
    ct = SimpleNamespace(name="Initial consultation", mode_label="Video call",
                         location=overrides.pop("location", "https://meet.example.com/room"))
    practitioner = SimpleNamespace(display_name="Dr Maya Test", user=SimpleNamespace(email="dr@example.com"))
    values = dict(id=42, created_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), starts_at=START,
                  ends_at=START + timedelta(hours=1), reschedule_count=0, video_url=None, status="confirmed",
                  consultation_type=ct,
                  practitioner=practitioner,
                  patient=SimpleNamespace(email="zoe@example.com", full_name=overrides.pop("name", "Zoë Adams")))
    values.update(overrides)
    return SimpleNamespace(**values)


def parsed(a, method):
    text = invites.patient_invite(a, method, NOW)
    return text, calendar_of(text)


@pytest.mark.parametrize("method", [invites.REQUEST, invites.CANCEL, invites.PUBLISH])
def test_method_is_written_as_asked(method):
    _, calendar = parsed(appointment(), method)
    assert calendar.method.value == method


def test_uid_is_the_same_for_invite_reschedule_cancel_and_download():
    first = appointment()
    moved = appointment(starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=1, hours=1),
                        reschedule_count=1)
    uids = {parsed(first, invites.REQUEST)[1].vevent.uid.value, parsed(moved, invites.REQUEST)[1].vevent.uid.value,
            parsed(moved, invites.CANCEL)[1].vevent.uid.value, parsed(first, invites.PUBLISH)[1].vevent.uid.value}
    assert len(uids) == 1 and uids.pop().endswith("@care.example.org")


def test_uids_differ_between_appointments():
    assert (parsed(appointment(), invites.REQUEST)[1].vevent.uid.value
            != parsed(appointment(id=43), invites.REQUEST)[1].vevent.uid.value)


@pytest.mark.parametrize(("count", "method", "sequence"), [
    (0, invites.REQUEST, "0"), (1, invites.REQUEST, "1"), (2, invites.REQUEST, "2"), (2, invites.CANCEL, "3"),
])
def test_sequence_rises_with_each_reschedule_and_the_cancellation(count, method, sequence):
    assert parsed(appointment(reschedule_count=count), method)[1].vevent.sequence.value == sequence


def test_times_are_written_in_utc():
    text, calendar = parsed(appointment(), invites.REQUEST)
    event = calendar.vevent
    assert raw_line(text, "DTSTART") == "DTSTART:20261203T150000Z"
    assert raw_line(text, "DTEND") == "DTEND:20261203T160000Z"
    assert raw_line(text, "DTSTAMP") == "DTSTAMP:20261201T120000Z"
    assert event.dtstart.value == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def test_organizer_and_attendee_carry_names_and_addresses():
    _, calendar = parsed(appointment(), invites.REQUEST)
    event = calendar.vevent
    assert event.organizer.value == "mailto:dr@example.com" and event.organizer.params["CN"] == ["Dr Maya Test"]
    assert event.attendee.value == "mailto:zoe@example.com" and event.attendee.params["CN"] == ["Zoë Adams"]
    assert event.attendee.params["PARTSTAT"] == ["ACCEPTED"]


def test_cancellation_marks_the_event_and_the_attendance_cancelled():
    event = parsed(appointment(status="cancelled"), invites.CANCEL)[1].vevent
    assert event.status.value == "CANCELLED" and event.attendee.params["PARTSTAT"] == ["DECLINED"]


def test_a_video_call_gives_its_link_as_location_and_url():
    event = parsed(appointment(), invites.REQUEST)[1].vevent
    assert event.location.value == event.url.value == "https://meet.example.com/room"


def test_an_appointment_with_its_own_room_gives_that_room_not_the_types_link():
    room = "https://meet.jit.si/b8Jx2kPq0wZ-3vTn9yLc1Q"
    event = parsed(appointment(location="", video_url=room), invites.REQUEST)[1].vevent
    assert event.location.value == event.url.value == room


def test_an_address_is_the_location_and_the_url_is_the_appointment_page():
    event = parsed(appointment(location="12 Elm Street, Suite 3; Springfield"), invites.REQUEST)[1].vevent
    assert event.location.value == "12 Elm Street, Suite 3; Springfield"  # escaped and read back intact
    assert event.url.value == "https://care.example.org/account/appointments/42"


def test_the_calendar_names_its_producer_and_version():
    calendar = parsed(appointment(), invites.REQUEST)[1]
    assert calendar.version.value == "2.0" and calendar.prodid.value == invites.PRODID
