"""Appointment emails through a real SMTP server: each sent once, at the moment of the change, in the
recipient's time zone, with the calendar invite parsed by an independent parser (vobject)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.notify import OutboxMessage
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.notifications import calendar_of, html_of, raw_line, subjects
from tests.support.notifications import text as text_of
from tests.support.payments import booked_via_api
from tests.support.web import post_confirmed, post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York, 15:00 in London
FRIDAY_11 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
ADA, DR = "ada@example.com", "dr@example.com"


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def patient(make_user, auth, frozen, practice):
    user = make_user(ADA, full_name="Ada Lovelace", timezone="Europe/London")
    auth.login(ADA, DEFAULT_PASSWORD)
    return user


def outbox_count(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind))


def test_confirmation_is_sent_once_in_the_patients_zone_with_its_links(client, patient, mailbox):
    booking_id = booked_via_api(client)
    [message] = mailbox.to(ADA)
    assert message["Subject"] == "Booked: Initial consultation"
    text = text_of(message)
    assert "Thursday 3 December 2026, 15:00 GMT" in text  # London, not New York
    assert "https://meet.example.com/room" in text and "Homeostasis" in text
    assert f"http://localhost/account/appointments/{booking_id}" in text
    assert "You pay $300.00 at the appointment" in text
    assert f'href="http://localhost/account/appointments/{booking_id}"' in html_of(message)
    assert outbox_count("booking_confirmed") == 1


def test_confirmation_invite_is_a_request_with_utc_times_organizer_and_attendee(client, patient, mailbox):
    booked_via_api(client)
    [message] = mailbox.to(ADA)
    calendar = calendar_of(message)
    event = calendar.vevent
    assert calendar.method.value == "REQUEST" and calendar.version.value == "2.0" and calendar.prodid.value
    assert event.sequence.value == "0" and event.status.value == "CONFIRMED"
    assert event.dtstart.value == THURSDAY_10 and event.dtend.value == THURSDAY_10 + timedelta(hours=1)
    ics = message.iter_attachments().__next__().get_content()
    assert raw_line(ics, "DTSTART").endswith("20261203T150000Z") and raw_line(ics, "DTSTAMP").endswith("Z")
    assert event.organizer.value == f"mailto:{DR}" and event.organizer.params["CN"] == ["Dr Maya Test"]
    assert event.attendee.value == f"mailto:{ADA}" and event.attendee.params["CN"] == ["Ada Lovelace"]
    assert event.location.value == event.url.value == "https://meet.example.com/room"
    part = next(message.iter_attachments())
    assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"


def test_practitioner_is_told_of_a_new_booking_with_initials_only(client, patient, mailbox):
    booking_id = booked_via_api(client)
    [notice] = mailbox.to(DR)
    assert notice["Subject"] == "New booking: Initial consultation, AL"
    text = text_of(notice)
    assert "Thursday 3 December 2026, 10:00 EST" in text  # her zone
    assert f"http://localhost/practice/appointments/{booking_id}" in text
    assert "Lovelace" not in text + html_of(notice) and ADA not in text


def test_booking_made_by_the_practitioner_confirms_to_the_patient_only(dr, make_user, frozen, mailbox):
    bea = make_user("bea@example.com", full_name="Bea Patient", timezone="America/Chicago")
    response = post_form(dr, "/practice/book",
                         {"patient_id": bea.id, "start": THURSDAY_10.isoformat(), "type": "initial"},
                         token_from="/practice/book")
    assert response.status_code == 303
    [message] = mailbox.to("bea@example.com")
    assert "Thursday 3 December 2026, 09:00 CST" in text_of(message)
    assert mailbox.to(DR) == []


def test_reschedule_sends_the_same_uid_with_a_higher_sequence_and_the_new_time(client, patient, mailbox):
    booking_id = booked_via_api(client)
    path = f"/account/appointments/{booking_id}/reschedule"
    assert post_confirmed(client, path, {"start": FRIDAY_11.isoformat()}).status_code == 303
    confirmed, moved = mailbox.to(ADA)
    assert moved["Subject"] == "Moved: Initial consultation"
    assert "Friday 4 December 2026, 16:00 GMT" in text_of(moved) and "It was Thursday 3 December" in text_of(moved)
    first, second = calendar_of(confirmed).vevent, calendar_of(moved).vevent
    assert calendar_of(moved).method.value == "REQUEST"
    assert second.uid.value == first.uid.value
    assert (first.sequence.value, second.sequence.value) == ("0", "1")
    assert second.dtstart.value == FRIDAY_11
    assert subjects(mailbox.to(DR)) == ["New booking: Initial consultation, AL",
                                        "Rescheduled: Initial consultation, AL"]


def test_patient_cancelling_gets_a_cancel_for_the_same_uid_and_the_practitioner_a_notice(client, patient, mailbox):
    booking_id = booked_via_api(client)
    path = f"/account/appointments/{booking_id}"
    assert post_confirmed(client, f"{path}/cancel", {"reason": "flare of hives"}, token_from=path).status_code == 303
    confirmed, cancelled = mailbox.to(ADA)
    assert cancelled["Subject"] == "Cancelled: Initial consultation"
    assert "Nothing was charged, so there is nothing to refund." in text_of(cancelled)
    calendar = calendar_of(cancelled)
    assert calendar.method.value == "CANCEL" and calendar.vevent.status.value == "CANCELLED"
    assert calendar.vevent.uid.value == calendar_of(confirmed).vevent.uid.value
    assert int(calendar.vevent.sequence.value) >= 1
    notice = mailbox.to(DR)[-1]
    assert notice["Subject"] == "Cancelled by the patient: Initial consultation, AL"
    assert "hives" not in text_of(notice)  # the patient's reason stays in the app


def test_practitioner_cancelling_tells_the_patient_the_reason(client, patient, dr, mailbox):
    booking_id = booked_via_api(client)
    path = f"/practice/appointments/{booking_id}"
    assert post_confirmed(dr, f"{path}/cancel", {"reason": "I am unwell"}, token_from=path).status_code == 303
    cancelled = mailbox.to(ADA)[-1]
    assert "the practice has had to cancel" in text_of(cancelled) and "Reason: I am unwell" in text_of(cancelled)
    assert calendar_of(cancelled).method.value == "CANCEL"
    assert subjects(mailbox.to(DR)) == ["New booking: Initial consultation, AL"]  # no notice of her own act


def test_opting_out_stops_non_essential_notices_only(client, patient, practice, mailbox):
    practitioner, _, _ = practice
    practitioner.email_opt_out = True
    patient.email_opt_out = True
    db.session.commit()
    booked_via_api(client)
    assert subjects(mailbox.to(ADA)) == ["Booked: Initial consultation"]  # essential
    assert mailbox.to(DR) == []  # the new-booking notice is not


def test_a_payment_recorded_by_the_practice_sends_a_receipt(client, patient, dr, mailbox):
    booking_id = booked_via_api(client)
    path = f"/practice/appointments/{booking_id}"
    assert post_form(dr, f"{path}/payments", {"amount": "300.00", "method": "cash"}, token_from=path).status_code == 303
    receipt = mailbox.to(ADA)[-1]
    assert receipt["Subject"] == "Receipt: Initial consultation"
    assert "$300.00" in text_of(receipt) and "(cash)" in text_of(receipt) and "$300.00" in html_of(receipt)
    assert outbox_count("payment_receipt") == 1


def test_a_refund_issued_by_the_practice_is_told_once(client, patient, dr, mailbox):
    booking_id = booked_via_api(client)
    path = f"/practice/appointments/{booking_id}"
    post_form(dr, f"{path}/payments", {"amount": "300.00", "method": "card_terminal"}, token_from=path)
    refund = post_confirmed(dr, f"{path}/refund", {"amount": "50", "reason": "Shorter visit"}, token_from=path)
    assert refund.status_code == 303
    refund = mailbox.to(ADA)[-1]
    assert refund["Subject"] == "Refund issued: Initial consultation"
    assert "has refunded $50.00" in text_of(refund) and "Reason: Shorter visit" in text_of(refund)
    assert outbox_count("refund_issued") == 1


def test_patient_downloads_the_ics_of_an_upcoming_appointment(client, patient, mailbox):
    booking_id = booked_via_api(client)
    assert f"/account/appointments/{booking_id}/calendar.ics" in client.get("/account").get_data(as_text=True)
    response = client.get(f"/account/appointments/{booking_id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = calendar_of(response.get_data(as_text=True))
    assert calendar.method.value == "PUBLISH"
    assert calendar.vevent.uid.value == calendar_of(mailbox.to(ADA)[0]).vevent.uid.value
    assert calendar.vevent.dtstart.value == THURSDAY_10


def test_ics_download_is_only_for_ones_own_upcoming_appointment(app, client, patient, make_user, mailbox):
    booking_id = booked_via_api(client)
    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    assert other.get(f"/account/appointments/{booking_id}/calendar.ics").status_code == 404
    path = f"/account/appointments/{booking_id}"
    post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    assert client.get(f"{path}/calendar.ics").status_code == 404


def test_smtp_down_keeps_a_confirmation_and_send_outbox_delivers_it_once(app, client, patient, mailbox, frozen):
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    booking_id = booked_via_api(client)
    assert db.session.get(Appointment, booking_id).status == "confirmed"  # the booking does not depend on mail
    waiting = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "booking_confirmed"))
    assert waiting.sent_at is None and waiting.attempts == 1 and waiting.last_error
    assert mailbox.to(ADA) == []
    app.config["MAIL_PORT"] = working_port
    frozen.move_to(waiting.next_attempt_at)
    runner = app.test_cli_runner()
    assert "sent 2, failed 0" in runner.invoke(args=["send-outbox"]).output  # hers and the practitioner's
    assert "sent 0, failed 0" in runner.invoke(args=["send-outbox"]).output
    [message] = mailbox.to(ADA)
    assert calendar_of(message).method.value == "REQUEST"
