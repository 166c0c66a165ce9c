"""Buying the course through the fake Stripe server with the real stripe SDK: the price comes from the
database, the patient is enrolled exactly once however often fulfilment runs, and a payment that
is not needed is refunded in full."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.courses.purchase import ALREADY_ENROLLED
from app.extensions import db
from app.models.billing import Payment, Refund, StripeEvent
from app.models.courses import Enrollment
from app.models.notify import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import PRICE, SLUG, build_course, enrol
from tests.support.mailbox import text_of
from tests.support.payments import webhook_and_return_at_once
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LANDING = f"/courses/{SLUG}"


# Stripe's clock (the fake's) is real time; ours is frozen but ticking, close enough to it.
pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]


@pytest.fixture
def course(app):
    return build_course()


@pytest.fixture
def patient(make_user, auth, frozen, course):
    user = make_user("ada@example.com", full_name="Ada Lovelace")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    return user


def buy(client):
    return post_form(client, f"{LANDING}/buy", {}, token_from=LANDING)


def session_id() -> str:
    return db.session.scalar(select(Payment.checkout_session_id).order_by(Payment.id.desc()).limit(1))


def deliver(client, fake, event):
    body, headers = fake.signed(event)
    return client.post("/stripe/webhook", data=body, headers=headers)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def welcomes() -> int:
    return count(OutboxMessage, OutboxMessage.kind == "course_welcome")


def test_the_landing_page_offers_the_course_for_sale(client, patient):
    page = client.get(LANDING).get_data(as_text=True)
    assert "Buy the course for $49.00" in page and "not for sale yet" not in page
    assert "Education, not medical advice." in page and "Who it is for" in page
    assert "Read a free lesson" in page


def test_buying_sends_the_patient_to_checkout_at_the_database_price(client, patient, course, fake_stripe):
    response = buy(client)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(fake_stripe.url + "/pay/cs_")
    session = fake_stripe.sessions[session_id()]
    assert (session["amount_total"], session["currency"]) == (PRICE, "usd")
    assert session["metadata"]["purpose"] == "course" and session["customer_email"] == "ada@example.com"
    payment = db.session.scalar(select(Payment))
    assert (payment.purpose, payment.purpose_id, payment.status, payment.amount_minor) == ("course", course.id, "open",
                                                                                           PRICE)
    assert count(Enrollment) == 0


def test_buying_twice_before_paying_reuses_the_open_checkout(client, patient):
    first, second = buy(client), buy(client)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Payment) == 1


def test_an_anonymous_visitor_logs_in_before_buying(client, course):
    response = buy(client)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/auth/login?next={LANDING}"
    assert count(Payment) == 0


def test_webhook_then_success_page_enrol_once_and_welcome_once(client, patient, fake_stripe, mailbox):
    buy(client)
    sid = session_id()
    event = fake_stripe.pay(sid)
    assert deliver(client, fake_stripe, event).status_code == 200
    returned = client.get(f"/billing/return?session_id={sid}")
    assert returned.status_code == 303 and returned.headers["Location"] == LANDING
    enrollment = db.session.scalar(select(Enrollment))
    assert count(Enrollment) == 1 and enrollment.source == "purchase"
    assert enrollment.payment_id == db.session.scalar(select(Payment.id))
    assert welcomes() == 1
    [message] = mailbox.wait_for("ada@example.com")
    assert message["Subject"] == "Welcome to Histamine Basics"
    assert f"http://localhost/courses/{SLUG}/learn" in text_of(message)
    page = client.get(LANDING).get_data(as_text=True)
    assert "You are enrolled" in page and "Buy the course" not in page


def test_success_page_then_webhook_enrol_once(client, patient, fake_stripe):
    buy(client)
    sid = session_id()
    event = fake_stripe.pay(sid)
    client.get(f"/billing/return?session_id={sid}")
    assert deliver(client, fake_stripe, event).status_code == 200
    assert count(Enrollment) == 1 and welcomes() == 1 and count(Refund) == 0


def test_the_same_event_five_times_enrols_once(client, patient, fake_stripe, mailbox):
    buy(client)
    event = fake_stripe.pay(session_id())
    assert [deliver(client, fake_stripe, event).status_code for _ in range(5)] == [200] * 5
    assert count(StripeEvent) == 1 and count(Enrollment) == 1 and welcomes() == 1
    assert count(Payment, Payment.status == "paid") == 1
    time.sleep(0.2)
    assert len(mailbox.to("ada@example.com")) == 1


def test_webhook_and_success_page_at_the_same_moment_enrol_once(app, client, patient, fake_stripe):
    buy(client)
    results = webhook_and_return_at_once(app, client, fake_stripe, session_id())
    db.session.commit()  # end the test's read transaction, to see what the threads wrote
    assert results == {"webhook": 200, "page": 303}
    assert count(Enrollment) == 1 and welcomes() == 1 and count(Refund) == 0


def test_a_patient_enrolled_while_checkout_was_open_is_refunded_in_full(client, patient, course, fake_stripe,
                                                                       mailbox):
    buy(client)
    enrol(patient, course)  # e.g. the practitioner gave access meanwhile
    event = fake_stripe.pay(session_id())
    assert deliver(client, fake_stripe, event).status_code == 200
    assert deliver(client, fake_stripe, event).status_code == 200
    assert count(Enrollment) == 1 and db.session.scalar(select(Enrollment.source)) == "granted"
    refund = db.session.scalar(select(Refund))
    assert (refund.amount_minor, refund.status, refund.reason) == (PRICE, "succeeded", ALREADY_ENROLLED)
    intent = db.session.scalar(select(Payment.payment_intent_id))
    assert len([r for r in fake_stripe.refunds.values() if r["payment_intent"] == intent]) == 1
    assert db.session.scalar(select(Payment.status)) == "refunded"
    messages = mailbox.wait_for("ada@example.com")
    assert [m["Subject"] for m in messages] == ["Your payment has been refunded in full"]


def test_two_checkouts_paid_enrol_once_and_refund_the_second(client, patient, fake_stripe, frozen):
    buy(client)
    first = session_id()
    frozen.shift(timedelta(minutes=29, seconds=30))  # the first checkout is about to expire
    buy(client)
    second = session_id()
    assert first != second and count(Payment) == 2
    for sid in (first, second):
        assert deliver(client, fake_stripe, fake_stripe.pay(sid)).status_code == 200
    assert count(Enrollment) == 1 and welcomes() == 1
    assert db.session.scalars(select(Payment.status).order_by(Payment.id)).all() == ["paid", "refunded"]


def test_an_enrolled_patient_is_not_sent_to_checkout_again(client, patient, course):
    enrol(patient, course)
    response = buy(client)
    assert response.status_code == 303 and response.headers["Location"] == f"{LANDING}/learn"
    assert count(Payment) == 0


def test_cancelling_at_checkout_returns_to_the_course_page(client, patient, fake_stripe):
    buy(client)
    cancel_url = fake_stripe.sessions[session_id()]["cancel_url"].replace("http://localhost", "")
    response = client.get(cancel_url)
    assert response.status_code == 303 and response.headers["Location"] == LANDING
    assert "Nothing was charged" in client.get(LANDING).get_data(as_text=True)


def test_stripe_unreachable_says_so_and_charges_nothing(app, client, patient):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:1"
    app.extensions.pop("stripe_client", None)
    response = buy(client)
    assert response.status_code == 503
    assert "couldn't reach our payment provider" in response.get_data(as_text=True)
    assert count(Enrollment) == 0


def test_the_practitioner_cannot_buy(client, auth, make_user, course):
    make_user("dr@example.com", role="practitioner")
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    assert buy(client).status_code == 403
