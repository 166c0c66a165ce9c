"""Issue 20, point 7: an email that can never be built (a line break in a consultation type's name, saved
before one-line fields were checked, lands in its Subject) is marked failed at once and listed on
/practice/mail, instead of being retried for ever out of sight; and names are one line from now on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import select

from app import jobs
from app.clock import utcnow
from app.extensions import db
from app.models.notify import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_form

START = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)


def test_a_message_that_cannot_be_built_fails_once_and_shows_on_the_practices_mail_page(
        app, client, auth, make_practice, make_user):
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), tick=True):
        make_practice(name="Initial\nconsultation")  # as an old row could hold it
        make_user("ada@example.com")
        auth.login("ada@example.com", DEFAULT_PASSWORD)
        booked = client.post("/api/v1/bookings", headers={"X-CSRFToken": csrf_token(client, "/account")},
                             json={"type": "initial", "start": START.isoformat(), "safety_screen": {"all_no": True}})
        assert booked.status_code == 201  # the booking itself stands
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "booking_confirmed"))
        assert message.failed_at is not None and message.sent_at is None
        assert "cannot be built" in message.last_error and message.attempts == 1
    with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
        jobs.send_outbox()
    assert db.session.get(OutboxMessage, message.id, populate_existing=True).attempts == 1  # not retried

    auth.logout()
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    page = client.get("/practice/mail").get_data(as_text=True)
    assert "ada@example.com" in page and "cannot be built" in page


def test_a_name_with_a_line_break_is_refused_at_sign_up(client, auth):
    response = auth.register("ada@example.com", full_name="Ada\nBcc: someone@example.com")
    assert response.status_code == 422
    assert "Keep this on one line" in response.get_data(as_text=True)


def test_a_name_with_a_line_break_is_refused_in_the_profile(client, auth, make_user):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    response = post_form(client, "/account/profile", {"full_name": "Ada\r\nPatient", "timezone": "Europe/London"})
    assert response.status_code == 422
    assert "Keep this on one line" in response.get_data(as_text=True)
