"""Payments against a fake Stripe server, through the real stripe SDK: nothing paid is lost,
nothing is fulfilled twice, and a patient never pays for a time she does not get."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.billing import Payment, Refund, StripeEvent
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.payments import (
    NOW,
    THURSDAY_10,
    appointment,
    book_via_api,
    deliver,
    emails,
    paid_booking,
    pass_safety_screen,
    session_of,
    webhook_and_return_at_once,
)
from tests.support.web import post_confirmed, post_form

UTC = timezone.utc


# Stripe's own clock (the fake's) is real time; ours is frozen but ticking, close enough to it.
pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]


def test_booking_is_held_and_sent_to_checkout_with_our_price(client, practice, patient, fake_stripe):
    response = book_via_api(client)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending_payment"
    assert body["payment"]["checkout_url"].startswith(fake_stripe.url + "/pay/cs_")
    session = fake_stripe.sessions[session_of(body["id"])]
    assert session["amount_total"] == 30000 and session["currency"] == "usd"
    assert session["client_reference_id"] and session["metadata"]["payment_id"] == session["client_reference_id"]
    assert session["customer_email"] == "ada@example.com"
    held = appointment(body["id"])
    assert held.hold_expires_at > datetime.fromtimestamp(session["expires_at"], UTC)


def test_booking_page_redirects_to_checkout(client, practice, patient, fake_stripe):
    pass_safety_screen(client)
    review = f"/book/initial/review?start={THURSDAY_10.isoformat()}&tz=Europe/London"
    response = post_form(client, "/book/initial/confirm", {"start": THURSDAY_10.isoformat(), "tz": "Europe/London"},
                         token_from=review)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(fake_stripe.url + "/pay/")


def test_happy_path_via_webhook(client, practice, patient, fake_stripe, mailbox):
    booking_id = book_via_api(client).get_json()["id"]
    event = fake_stripe.pay(session_of(booking_id))
    assert deliver(client, fake_stripe, event).status_code == 200
    assert appointment(booking_id).status == "confirmed"
    assert appointment(booking_id).payment_status == "paid"
    payment = db.session.scalar(select(Payment))
    assert payment.status == "paid" and payment.payment_intent_id.startswith("pi_")
    assert [m["Subject"] for m in mailbox.wait_for("ada@example.com")] == ["Booked: Initial consultation"]


def test_success_page_first_then_webhook_fulfils_once(client, practice, patient, fake_stripe, mailbox):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    event = fake_stripe.pay(session_id)
    response = client.get(f"/billing/return?session_id={session_id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/account/appointments/{booking_id}"
    assert appointment(booking_id).status == "confirmed"
    assert deliver(client, fake_stripe, event).status_code == 200
    assert emails("booking_confirmed") == 1
    assert len(mailbox.wait_for("ada@example.com")) == 1


def test_webhook_and_success_page_at_the_same_moment_fulfil_once(app, client, practice, patient, fake_stripe):
    booking_id = book_via_api(client).get_json()["id"]
    results = webhook_and_return_at_once(app, client, fake_stripe, session_of(booking_id))
    db.session.commit()  # end the test's read transaction, to see what the threads wrote
    assert results == {"webhook": 200, "page": 303}
    assert appointment(booking_id).status == "confirmed"
    assert emails("booking_confirmed") == 1
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.status == "paid")) == 1


def test_the_same_event_five_times_fulfils_once(client, practice, patient, fake_stripe, mailbox):
    booking_id = book_via_api(client).get_json()["id"]
    event = fake_stripe.pay(session_of(booking_id))
    assert [deliver(client, fake_stripe, event).status_code for _ in range(5)] == [200] * 5
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    assert emails("booking_confirmed") == 1
    time.sleep(0.2)
    assert len(mailbox.to("ada@example.com")) == 1


@pytest.mark.parametrize("tamper", ["bad_secret", "tampered_body", "stale", "missing_header"])
def test_unverifiable_webhooks_are_refused_and_nothing_is_written(client, practice, patient, fake_stripe, tamper):
    booking_id = book_via_api(client).get_json()["id"]
    event = fake_stripe.pay(session_of(booking_id))
    signing = {"bad_secret": {"secret": "whsec_wrong"}, "stale": {"timestamp": int(time.time()) - 3600}}.get(tamper, {})
    body, headers = fake_stripe.signed(event, **signing)
    if tamper == "tampered_body":
        body = body.replace(b'"paid"', b'"PAID"', 1) if b'"paid"' in body else body + b" "
    if tamper == "missing_header":
        headers = {k: v for k, v in headers.items() if k.lower() != "stripe-signature"}
    response = client.post("/stripe/webhook", data=body, headers=headers)
    assert response.status_code == 400
    assert appointment(booking_id).status == "pending_payment"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_events_we_do_not_handle_are_acknowledged(client, fake_stripe, practice):
    event = {"id": "evt_unrelated_1", "object": "event", "type": "customer.created", "created": int(time.time()),
             "data": {"object": {"id": "cus_1", "object": "customer"}}, "livemode": False, "api_version": "x"}
    assert deliver(client, fake_stripe, event).status_code == 200


@pytest.mark.parametrize("body", [
    {"id": "evt_no_object", "object": "event", "type": "checkout.session.completed", "data": {}},
    {"id": "evt_no_data", "object": "event", "type": "checkout.session.completed"},
    [{"id": "evt_in_a_list", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}],
    {"id": "evt_object_is_text", "object": "event", "type": "charge.refunded", "data": {"object": "ch_1"}},
], ids=["no-object", "no-data", "a-list", "object-is-text"])
def test_a_signed_body_that_is_not_an_event_is_refused_with_400(client, fake_stripe, practice, body):
    response = deliver(client, fake_stripe, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_event"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_an_event_for_a_session_stripe_does_not_know_is_acknowledged_not_retried(client, fake_stripe, practice):
    event = {"id": "evt_unknown_session", "object": "event", "type": "checkout.session.completed",
             "created": int(time.time()), "livemode": False, "api_version": "x",
             "data": {"object": {"id": "cs_test_never_made_here", "object": "checkout.session"}}}
    assert deliver(client, fake_stripe, event).status_code == 200  # Stripe answers 404: not ours


def test_expired_session_releases_the_hold(client, practice, patient, fake_stripe):
    booking_id = book_via_api(client).get_json()["id"]
    event = fake_stripe.expire_session(session_of(booking_id))
    assert deliver(client, fake_stripe, event).status_code == 200
    assert appointment(booking_id).status == "expired"
    assert db.session.scalar(select(Payment.status)) == "expired"
    assert book_via_api(client).status_code == 201  # the time is free again


def test_expired_arriving_after_completed_changes_nothing(client, practice, patient, fake_stripe):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    completed = fake_stripe.pay(session_id)
    expired = dict(completed, id="evt_expired_late", type="checkout.session.expired")
    assert deliver(client, fake_stripe, completed).status_code == 200
    assert deliver(client, fake_stripe, expired).status_code == 200
    assert appointment(booking_id).status == "confirmed"
    assert db.session.scalar(select(Payment.status)) == "paid"


def test_late_payment_for_a_time_taken_meanwhile_is_refunded_once(app, client, practice, patient, make_user,
                                                                   fake_stripe, frozen, mailbox):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    frozen.shift(timedelta(minutes=40))  # the hold ran out
    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    taken = book_via_api(other)
    assert taken.status_code == 201
    event = fake_stripe.pay(session_id)
    for _ in range(3):
        assert deliver(client, fake_stripe, event).status_code == 200
    late = appointment(booking_id)
    assert late.status == "cancelled" and "after the time was released" in late.cancel_reason
    refunds = db.session.scalars(select(Refund)).all()
    assert len(refunds) == 1 and refunds[0].status == "succeeded" and refunds[0].amount_minor == 30000
    intent = db.session.scalar(select(Payment.payment_intent_id).where(Payment.purpose_id == booking_id))
    assert len([r for r in fake_stripe.refunds.values() if r["payment_intent"] == intent]) == 1
    assert db.session.scalar(select(Payment.status).where(Payment.purpose_id == booking_id)) == "refunded"
    assert emails("late_payment_refunded") == 1 and emails("practitioner_late_refund") == 1
    patient_mail = mailbox.wait_for("ada@example.com")
    assert any("refunded in full" in m["Subject"] for m in patient_mail)
    assert mailbox.wait_for("dr@example.com")


def test_late_payment_for_a_time_still_free_confirms_it(client, practice, patient, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    frozen.shift(timedelta(minutes=40))
    event = fake_stripe.pay(session_of(booking_id))
    assert deliver(client, fake_stripe, event).status_code == 200
    assert appointment(booking_id).status == "confirmed"
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_patient_cancelling_with_enough_notice_gets_a_full_refund(client, practice, patient, fake_stripe):
    booking_id = paid_booking(client, fake_stripe)
    path = f"/account/appointments/{booking_id}"
    page = client.get(path).get_data(as_text=True)
    assert "full refund" in page
    assert post_confirmed(client, f"{path}/cancel", {}, token_from=path).status_code == 303
    refund = db.session.scalar(select(Refund))
    assert (refund.amount_minor, refund.status) == (30000, "succeeded")
    assert appointment(booking_id).payment_status == "refunded"


def test_patient_cancelling_late_gets_what_the_policy_says(client, practice, patient, fake_stripe, frozen):
    _, profile, _ = practice
    profile.late_cancel_refund_percent = 50
    db.session.commit()
    booking_id = paid_booking(client, fake_stripe)
    frozen.move_to(THURSDAY_10 - timedelta(hours=30))
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    path = f"/account/appointments/{booking_id}"
    assert "50% will be refunded" in client.get(path).get_data(as_text=True)
    post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    assert db.session.scalar(select(Refund.amount_minor)) == 15000
    assert appointment(booking_id).payment_status == "partially_refunded"


def test_practitioner_cancelling_always_refunds_in_full(app, client, practice, patient, fake_stripe, frozen):
    booking_id = paid_booking(client, fake_stripe)
    frozen.move_to(THURSDAY_10 - timedelta(hours=2))
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    path = f"/practice/appointments/{booking_id}"
    assert post_confirmed(dr, f"{path}/cancel", {"reason": "Unwell"}, token_from=path).status_code == 303
    assert db.session.scalar(select(Refund.amount_minor)) == 30000


def test_manual_partial_refunds_never_exceed_what_remains(app, client, practice, patient, fake_stripe):
    booking_id = paid_booking(client, fake_stripe)
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    path = f"/practice/appointments/{booking_id}"
    assert post_confirmed(dr, f"{path}/refund", {"amount": "100.00"}, token_from=path).status_code == 303
    assert post_confirmed(dr, f"{path}/refund", {"amount": "150"}, token_from=path).status_code == 303
    over = post_confirmed(dr, f"{path}/refund", {"amount": "50.01"}, token_from=path)
    assert over.status_code == 422 and "At most 50.00 USD" in over.get_data(as_text=True)
    assert post_confirmed(dr, f"{path}/refund", {"amount": "abc"}, token_from=path).status_code == 422
    assert sorted(db.session.scalars(select(Refund.amount_minor))) == [10000, 15000]
    assert db.session.scalar(select(Payment.refunded_minor)) == 25000
    assert sum(r["amount"] for r in fake_stripe.refunds.values() if r["payment_intent"] ==
               db.session.scalar(select(Payment.payment_intent_id))) == 25000


def test_stripe_unreachable_at_checkout_keeps_the_hold_and_says_so(client, practice, patient, fake_stripe, app):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:1"
    app.extensions.pop("stripe_client", None)
    pass_safety_screen(client)
    review = f"/book/initial/review?start={THURSDAY_10.isoformat()}&tz=Europe/London"
    response = post_form(client, "/book/initial/confirm", {"start": THURSDAY_10.isoformat(), "tz": "Europe/London"},
                         token_from=review)
    assert response.status_code == 503
    assert "reach our payment provider" in response.get_data(as_text=True)
    held = db.session.scalar(select(Appointment))
    assert held.status == "pending_payment" and held.is_blocking(datetime.now(UTC))
    app.config["STRIPE_API_BASE"] = fake_stripe.url
    app.extensions.pop("stripe_client", None)
    retry = post_form(client, f"/book/pay/{held.id}", {}, token_from=f"/book/pay/{held.id}")
    assert retry.status_code == 303 and retry.headers["Location"].startswith(fake_stripe.url)


def test_stripe_unreachable_during_webhook_asks_for_retry_then_succeeds(client, practice, patient, fake_stripe):
    booking_id = book_via_api(client).get_json()["id"]
    event = fake_stripe.pay(session_of(booking_id))
    fake_stripe.fail_next(3, status=500)
    assert deliver(client, fake_stripe, event).status_code == 503
    assert appointment(booking_id).status == "pending_payment"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert deliver(client, fake_stripe, event).status_code == 200
    assert appointment(booking_id).status == "confirmed"


def test_expire_holds_command_releases_and_expires_sessions(app, client, practice, patient, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    frozen.shift(timedelta(minutes=36))
    result = app.test_cli_runner().invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    assert appointment(booking_id).status == "expired"
    assert fake_stripe.sessions[session_id]["status"] == "expired"


def test_receipts_show_payments_and_refunds(client, practice, patient, fake_stripe):
    booking_id = paid_booking(client, fake_stripe)
    path = f"/account/appointments/{booking_id}"
    post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    page = client.get("/account").get_data(as_text=True)
    assert "Payments and refunds" in page and "$300.00" in page and "Refunded" in page


def test_practitioner_payments_list_and_csv(app, client, practice, patient, fake_stripe):
    paid_booking(client, fake_stripe)
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    page = dr.get("/practice/payments").get_data(as_text=True)
    assert "2026-12" in page and "$300.00" in page
    csv_text = dr.get("/practice/payments?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("payment_id,paid_at,patient")
    assert ",300.00,0.00,paid,stripe," in csv_text


def test_a_second_paid_session_for_one_booking_is_refunded_in_full(app, client, practice, patient, fake_stripe):
    booking_id = paid_booking(client, fake_stripe)
    payment = db.session.scalar(select(Payment))
    from app.billing.client import client as stripe_client

    second = stripe_client().v1.checkout.sessions.create({
        "mode": "payment", "success_url": "http://localhost/s", "cancel_url": "http://localhost/c",
        "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 30000,
                                                      "product_data": {"name": "Initial consultation"}}}],
        "metadata": {"payment_id": str(payment.id)}})
    assert deliver(client, fake_stripe, fake_stripe.pay(second.id)).status_code == 200
    assert appointment(booking_id).status == "confirmed"
    duplicate = db.session.scalar(select(Payment).where(Payment.id != payment.id))
    assert duplicate.status == "refunded" and duplicate.refunded_minor == 30000
    assert db.session.get(Payment, payment.id).status == "paid"


def test_refund_events_from_stripe_reconcile_without_double_counting(app, client, practice, patient, fake_stripe):
    booking_id = paid_booking(client, fake_stripe)
    path = f"/account/appointments/{booking_id}"
    post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    refund_events = fake_stripe.events_of_type("refund.created") + fake_stripe.events_of_type("charge.refunded")
    assert refund_events
    for event in refund_events:
        assert deliver(client, fake_stripe, event).status_code == 200
        assert deliver(client, fake_stripe, event).status_code == 200
    payment = db.session.scalar(select(Payment))
    assert (payment.status, payment.refunded_minor) == ("refunded", 30000)
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_a_refund_made_in_the_stripe_dashboard_is_recorded(app, client, practice, patient, fake_stripe):
    paid_booking(client, fake_stripe)
    payment = db.session.scalar(select(Payment))
    from app.billing.client import client as stripe_client

    stripe_client().v1.refunds.create({"payment_intent": payment.payment_intent_id, "amount": 5000})
    event = fake_stripe.events_of_type("refund.created")[-1]
    assert deliver(client, fake_stripe, event).status_code == 200
    payment = db.session.get(Payment, payment.id, populate_existing=True)
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 5000)


def test_review_says_the_amount_is_paid_now_on_stripes_page(client, practice, patient):
    pass_safety_screen(client)
    html = client.get("/book/initial/review",
                      query_string={"start": THURSDAY_10.isoformat(), "tz": "Europe/London"}).get_data(as_text=True)
    assert ">Continue to payment: $300.00</button>" in html
    assert "You pay <strong>$300.00</strong> now, on Stripe's secure payment page" in html
    assert "pay at the appointment" not in html
