"""Emails around money, against the fake Stripe server: the receipt inside the confirmation, the
refund outcome of a cancellation, the late-payment refund, and silence for a hold that never was."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.billing import Payment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.notifications import calendar_of, html_of, subjects
from tests.support.notifications import text as text_of
from tests.support.web import csrf_token, post_confirmed, post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
ADA, DR = "ada@example.com", "dr@example.com"


# Stripe's clock (the fake's) is real time
pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]


@pytest.fixture
def patient(make_user, auth, frozen, practice):
    user = make_user(ADA, full_name="Ada Lovelace", timezone="Europe/London")
    auth.login(ADA, DEFAULT_PASSWORD)
    return user


def hold(client, start=THURSDAY_10) -> int:
    token = csrf_token(client, "/account")
    response = client.post("/api/v1/bookings", headers={"X-CSRFToken": token},
                           json={"type": "initial", "start": start.isoformat(), "safety_screen": {"all_no": True}})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def pay(client, fake_stripe, booking_id: int, times: int = 1) -> None:
    session_id = db.session.scalar(select(Payment.checkout_session_id).where(Payment.purpose_id == booking_id))
    body, headers = fake_stripe.signed(fake_stripe.pay(session_id))
    for _ in range(times):
        assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200


def test_a_paid_booking_is_confirmed_once_with_its_receipt(client, patient, fake_stripe, mailbox):
    booking_id = hold(client)
    assert mailbox.to(ADA) == []  # a hold is not a booking yet
    pay(client, fake_stripe, booking_id, times=2)  # the same event twice
    [confirmation] = mailbox.to(ADA)
    payment = db.session.scalar(select(Payment))
    assert f"Receipt: $300.00 paid on Tuesday 1 December 2026 for Initial consultation (payment #{payment.id})" \
        in text_of(confirmation)
    assert "Receipt: $300.00" in html_of(confirmation)
    assert calendar_of(confirmation).method.value == "REQUEST"
    assert subjects(mailbox.to(DR)) == ["New booking: Initial consultation, AL"]


def test_cancelling_with_notice_tells_the_full_refund(client, patient, fake_stripe, mailbox):
    booking_id = hold(client)
    pay(client, fake_stripe, booking_id)
    path = f"/account/appointments/{booking_id}"
    assert post_confirmed(client, f"{path}/cancel", {}, token_from=path).status_code == 303
    cancelled = mailbox.to(ADA)[-1]
    assert cancelled["Subject"] == "Cancelled: Initial consultation"
    assert "A refund of $300.00 is on its way to your card" in text_of(cancelled)
    assert calendar_of(cancelled).method.value == "CANCEL"
    assert "Under your policy $300.00 is refunded to the patient." in text_of(mailbox.to(DR)[-1])


def test_cancelling_late_says_no_refund_is_due(client, patient, fake_stripe, frozen, mailbox):
    booking_id = hold(client)
    pay(client, fake_stripe, booking_id)
    frozen.move_to(THURSDAY_10 - timedelta(hours=30))
    post_form(client, "/auth/login", {"email": ADA, "password": DEFAULT_PASSWORD})
    path = f"/account/appointments/{booking_id}"
    post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    assert "less than 48 hours before the start, so under the practice's policy no refund is due" \
        in text_of(mailbox.to(ADA)[-1])


def test_releasing_an_unpaid_hold_sends_nothing(client, patient, fake_stripe, mailbox):
    booking_id = hold(client)
    path = f"/book/pay/{booking_id}"
    assert post_form(client, f"{path}/release", {}, token_from=path).status_code == 303
    assert mailbox.to(ADA) == [] and mailbox.to(DR) == []


def test_late_payment_refund_email_has_html_and_the_nearest_times(app, client, patient, make_user, fake_stripe,
                                                                  frozen, mailbox):
    booking_id = hold(client)
    frozen.shift(timedelta(minutes=40))  # the hold ran out
    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    hold(other)  # someone else takes the time
    pay(client, fake_stripe, booking_id)
    [refunded] = mailbox.to(ADA)
    assert refunded["Subject"] == "Your payment has been refunded in full"
    assert "The nearest open times are:" in text_of(refunded) and "<li>" in html_of(refunded)
    assert subjects(mailbox.to(DR)) == ["A late payment was refunded automatically"]
