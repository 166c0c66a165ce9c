"""Helpers for payment tests that drive the app and the fake Stripe server together: the payment tests' week
(NOW a Tuesday, THURSDAY_10 10:00 in New York), booking through the API, webhooks, and what the database holds."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.intake.red_flags import QUESTIONS
from app.models.billing import Payment
from app.models.notify import OutboxMessage
from app.models.scheduling import Appointment
from tests.support.web import csrf_token, post_form


def webhook_and_return_at_once(app, client, fake_stripe, session_id: str) -> dict[str, int]:
    """Pay `session_id` in the fake Stripe, then deliver its webhook and open the success page at the
    same moment (two threads behind a barrier); the status codes of both, by "webhook" and "page"."""
    body, headers = fake_stripe.signed(fake_stripe.pay(session_id))
    stripe_side = app.test_client()
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def webhook():
        barrier.wait()
        results["webhook"] = stripe_side.post("/stripe/webhook", data=body, headers=headers).status_code

    def success_page():
        barrier.wait()
        results["page"] = client.get(f"/billing/return?session_id={session_id}").status_code

    threads = [threading.Thread(target=webhook), threading.Thread(target=success_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York


def book_via_api(client, start=THURSDAY_10):
    token = csrf_token(client, "/account")
    return client.post("/api/v1/bookings", json={"type": "initial", "start": start.isoformat(),
                                                 "safety_screen": {"all_no": True}},
                       headers={"X-CSRFToken": token})


def booked_via_api(client, start=THURSDAY_10) -> int:
    """book_via_api, which must answer 201 Created: the new appointment's id."""
    response = book_via_api(client, start)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def pass_safety_screen(client):
    """The red-flag screen comes before a time is held on the booking pages (every answer: no)."""
    post_form(client, "/book/safety", {q.field: "no" for q in QUESTIONS})


def deliver(client, fake, event, **signing):
    body, headers = fake.signed(event, **signing)
    return client.post("/stripe/webhook", data=body, headers=headers)


def session_of(booking_id: int) -> str:
    return db.session.scalar(select(Payment.checkout_session_id).where(Payment.purpose_id == booking_id))


def emails(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind))


def appointment(booking_id: int) -> Appointment:
    return db.session.get(Appointment, booking_id, populate_existing=True)


def paid_booking(client, fake_stripe) -> int:
    booking_id = book_via_api(client).get_json()["id"]
    assert deliver(client, fake_stripe, fake_stripe.pay(session_of(booking_id))).status_code == 200
    return booking_id
