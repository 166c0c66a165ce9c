"""Video links per consultation type: the type's fixed meeting link, or a Jitsi room of its own for each
appointment (random and unguessable), given in the confirmation, the reminder and the calendar file."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.clock import utcnow
from app.extensions import db
from app.models.scheduling import ConsultationType
from app.scheduling import booking
from tests.conftest import DEFAULT_PASSWORD
from tests.support.notifications import calendar_of, html_of
from tests.support.notifications import text as text_of
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
ROOM = re.compile(r"https://meet\.jit\.si/[A-Za-z0-9_-]{22}")  # token_urlsafe(16): 128 random bits


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def ada(make_user):
    return make_user("ada@example.com", full_name="Ada Lovelace", timezone="Europe/London")


def test_each_appointment_gets_its_own_unguessable_room(app, frozen, make_practice, ada, make_user, book_appointment):
    _, _, ct = make_practice(intake_required=False, video_link="jitsi", location="")
    first = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    second = book_appointment(make_user("bea@example.com"), ct, starts_at=THURSDAY_10 + timedelta(hours=2),
                              send_confirmation=True)
    assert ROOM.fullmatch(first.video_url) and ROOM.fullmatch(second.video_url)
    assert first.video_url != second.video_url


def test_the_room_is_in_the_confirmation_the_reminder_and_the_invite(app, frozen, make_practice, ada, mailbox,
                                                                     book_appointment):
    _, _, ct = make_practice(intake_required=False, video_link="jitsi", location="")
    room = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True).video_url
    [confirmation] = mailbox.to("ada@example.com")
    assert room in text_of(confirmation) and f'href="{room}"' in html_of(confirmation)
    event = calendar_of(confirmation).vevent
    assert event.location.value == event.url.value == room
    frozen.move_to(THURSDAY_10 - timedelta(hours=23))
    assert app.test_cli_runner().invoke(args=["send-reminders"]).exit_code == 0
    reminder = next(m for m in mailbox.to("ada@example.com") if str(m["Subject"]).startswith("Reminder"))
    assert f"Join here at the time: {room}" in text_of(reminder)


def test_the_room_stays_when_the_appointment_is_moved(app, frozen, make_practice, ada, book_appointment):
    _, _, ct = make_practice(intake_required=False, video_link="jitsi", location="")
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    room = appointment.video_url
    booking.reschedule(appointment, THURSDAY_10 + timedelta(days=1), by=ada, now=utcnow())
    db.session.commit()
    assert appointment.video_url == room


def test_the_base_address_is_configurable(app, frozen, make_practice, ada, book_appointment):
    app.config["JITSI_BASE_URL"] = "https://video.clinic.example"
    _, _, ct = make_practice(intake_required=False, video_link="jitsi", location="")
    room = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True).video_url
    assert re.fullmatch(r"https://video\.clinic\.example/[A-Za-z0-9_-]{22}", room)


def test_a_fixed_link_is_used_as_before(app, frozen, make_practice, ada, mailbox, book_appointment):
    _, _, ct = make_practice(intake_required=False)  # video, fixed https://meet.example.com/room
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    assert appointment.video_url is None
    event = calendar_of(mailbox.to("ada@example.com")[0]).vevent
    assert event.location.value == "https://meet.example.com/room"


def test_the_patient_sees_her_room_on_her_appointment_page(client, auth, frozen, make_practice, ada, book_appointment):
    _, _, ct = make_practice(intake_required=False, video_link="jitsi", location="")
    room = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True).video_url
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    appointment_id = re.search(r"/account/appointments/(\d+)", page).group(1)
    assert f'href="{room}"' in client.get(f"/account/appointments/{appointment_id}").get_data(as_text=True)


def type_form(**overrides) -> dict:
    data = {"name": "Initial consultation", "slug": "initial", "description": "", "duration_minutes": "60",
            "buffer_before_minutes": "0", "buffer_after_minutes": "0", "granularity_minutes": "15",
            "min_notice_hours": "24", "horizon_days": "60", "max_per_day": "", "reminder_lead_hours": "24",
            "price": "300.00", "currency": "USD", "mode": "video", "location": "https://meet.example.com/room",
            "video_link": "fixed", "patient_cancel_cutoff_hours": "", "patient_reschedule_cutoff_hours": "",
            "intake_required": "y", "active": "y", "display_order": "1"}
    data.update(overrides)
    return data


def test_the_practitioner_chooses_a_room_per_appointment_and_the_cutoffs_in_the_editor(client, frozen, make_practice):
    _, _, ct = make_practice()
    post_form(client, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    response = post_form(client, f"/practice/types/{ct.id}", type_form(
        video_link="jitsi", location="", patient_cancel_cutoff_hours="12", patient_reschedule_cutoff_hours="36"))
    assert response.status_code == 303
    saved = db.session.get(ConsultationType, ct.id)
    assert (saved.video_link, saved.patient_cancel_cutoff_hours,
            saved.patient_reschedule_cutoff_hours) == ("jitsi", 12, 36)
    page = client.get(f"/practice/types/{ct.id}").get_data(as_text=True)
    assert 'value="12"' in page and 'value="36"' in page


@pytest.mark.parametrize("field, value, message", [
    ("video_link", "zoom", "Choose a fixed meeting link or a new Jitsi room for each appointment."),
    ("patient_cancel_cutoff_hours", "-3", "Enter a whole number"),
    ("patient_reschedule_cutoff_hours", "2000", "Enter a whole number"),
    ("location", "", "Enter the meeting link for video calls"),
])
def test_the_editor_refuses_bad_video_and_cutoff_values(client, frozen, make_practice, field, value, message):
    _, _, ct = make_practice()
    post_form(client, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    response = post_form(client, f"/practice/types/{ct.id}", type_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    saved = db.session.get(ConsultationType, ct.id)
    assert (saved.video_link, saved.patient_cancel_cutoff_hours) == ("fixed", None)
