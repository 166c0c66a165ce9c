"""The money paths a code review found untested, through the real stripe SDK against the fake Stripe
server: a refund Stripe refuses or fails to answer, a checkout opened again after it was paid, and
expire-holds meeting a session paid meanwhile or a Stripe that is down.

The fake is shared by the whole session: everything is counted per PaymentIntent or Checkout Session."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import tasks
from app.extensions import db
from app.models.billing import Payment, Refund, StripeEvent
from app.models.courses import Enrollment
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import SLUG, build_course
from tests.support.mailbox import free_port
from tests.support.payments import NOW, THURSDAY_10, appointment, book_via_api, deliver, emails, session_of
from tests.support.web import post_confirmed, post_form

DISPUTED = "This charge has been disputed and cannot be refunded until the dispute is closed."


# Stripe's own clock (the fake's) is real time; ours is frozen but ticking, close enough to it.
pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]


@pytest.fixture
def patient(make_user, auth, frozen, practice):
    user = make_user("ada@example.com", timezone="Europe/London")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    return user


@pytest.fixture
def paid(client, patient, fake_stripe) -> tuple[int, str]:
    """A confirmed, paid booking: (appointment id, its PaymentIntent)."""
    booking_id = book_via_api(client).get_json()["id"]
    assert deliver(client, fake_stripe, fake_stripe.pay(session_of(booking_id))).status_code == 200
    assert appointment(booking_id).status == "confirmed"
    return booking_id, payment_of(booking_id).payment_intent_id


def payment_of(booking_id: int) -> Payment:
    return db.session.scalar(select(Payment).where(Payment.purpose == "appointment", Payment.purpose_id == booking_id)
                             .order_by(Payment.id).limit(1).execution_options(populate_existing=True))


def refunds_of(booking_id: int) -> list[Refund]:
    return db.session.scalars(select(Refund).join(Payment).where(Payment.purpose_id == booking_id)
                              .order_by(Refund.id).execution_options(populate_existing=True)).all()


def made_at_stripe(fake, intent: str) -> list[int]:
    """The amounts of the refunds Stripe actually made for this PaymentIntent."""
    return [r["amount"] for r in fake.refunds.values() if r["payment_intent"] == intent]


def sessions_for(fake, payment_id: int, *, after: set[str]) -> list[dict]:
    """Checkout Sessions for this payment created since `after` (our ids restart in every test)."""
    return [s for key, s in fake.sessions.items()
            if key not in after and s["metadata"].get("payment_id") == str(payment_id)]


def practitioner_cancels(dr, booking_id: int):
    path = f"/practice/appointments/{booking_id}"
    return post_confirmed(dr, f"{path}/cancel", {"reason": "Unwell"}, token_from=path)


def retry_refunds_sweep() -> None:
    """The worker's periodic retry-refunds job, as it runs every five minutes."""
    db.session.commit()  # end the test's read transaction: it reads what the job writes
    tasks.PERIODIC_TASKS["retry-refunds"].call_local()
    db.session.commit()
    db.session.expire_all()


def expire_holds(app) -> None:
    """`flask expire-holds`, as the worker's periodic task runs it every minute."""
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    db.session.commit()
    db.session.expire_all()


def stripe_at(app, base: str) -> None:
    app.config["STRIPE_API_BASE"] = base
    app.extensions.pop("stripe_client", None)  # the next call builds a client for this address


# --- a refund Stripe refuses -------------------------------------------------------------------

def test_a_refund_stripe_refuses_is_marked_failed_shown_to_the_practitioner_and_not_resent(
        client, paid, dr, fake_stripe):
    booking_id, intent = paid
    fake_stripe.refuse_refunds(intent, DISPUTED, code="charge_disputed")
    assert practitioner_cancels(dr, booking_id).status_code == 303  # the worker sends the refund next
    [refund] = refunds_of(booking_id)
    assert refund.status == "failed" and "disputed" in refund.last_error
    assert fake_stripe.refund_requests(intent) == 1 and made_at_stripe(fake_stripe, intent) == []

    retry_refunds_sweep()
    retry_refunds_sweep()
    assert fake_stripe.refund_requests(intent) == 1  # a refusal is not retried: the answer would be the same
    assert refunds_of(booking_id)[0].status == "failed"
    payment = payment_of(booking_id)
    assert (payment.status, payment.refunded_minor) == ("paid", 0)  # the books say what Stripe did: nothing
    assert appointment(booking_id).status == "cancelled" and appointment(booking_id).payment_status == "paid"

    page = dr.get(f"/practice/appointments/{booking_id}").get_data(as_text=True)
    assert "Refund $300.00: failed" in page and "disputed" in page
    assert "at most 300.00" in page  # she can refund again by hand once the dispute is closed
    assert "refund on its way" not in client.get(f"/account/appointments/{booking_id}").get_data(as_text=True)

    fake_stripe.allow_refunds(intent)  # the dispute is closed
    path = f"/practice/appointments/{booking_id}"
    assert post_confirmed(dr, f"{path}/refund", {"amount": "300.00"}, token_from=path).status_code == 303
    assert [r.status for r in refunds_of(booking_id)] == ["failed", "succeeded"]
    assert made_at_stripe(fake_stripe, intent) == [30000]
    assert payment_of(booking_id).status == "refunded"


def test_a_refund_for_a_charge_already_refunded_in_the_dashboard_fails_and_is_counted_once(
        client, paid, fake_stripe):
    from app.billing.client import client as stripe_client

    booking_id, intent = paid
    stripe_client().v1.refunds.create({"payment_intent": intent})  # in Stripe's dashboard; its webhook is late
    path = f"/account/appointments/{booking_id}"
    assert post_confirmed(client, f"{path}/cancel", {}, token_from=path).status_code == 303  # full refund due
    [ours] = refunds_of(booking_id)
    assert ours.status == "failed" and "already been refunded" in ours.last_error
    retry_refunds_sweep()
    assert fake_stripe.refund_requests(intent) == 2  # the dashboard's and ours, once

    [dashboard] = [e for e in fake_stripe.events_of_type("refund.created")
                   if e["data"]["object"]["payment_intent"] == intent]
    assert deliver(client, fake_stripe, dashboard).status_code == 200
    payment = payment_of(booking_id)
    assert (payment.status, payment.refunded_minor) == ("refunded", 30000)  # once, not twice
    assert [(r.status, r.amount_minor) for r in refunds_of(booking_id)] == [("failed", 30000), ("succeeded", 30000)]
    assert made_at_stripe(fake_stripe, intent) == [30000]
    page = client.get(f"/account/appointments/{booking_id}").get_data(as_text=True)
    assert "$300.00 refunded" in page and "refund on its way" not in page


# --- a refund Stripe fails to answer -----------------------------------------------------------

def test_a_refund_stripe_fails_to_answer_stays_pending_and_is_made_once_later(client, paid, dr, fake_stripe):
    booking_id, intent = paid
    fake_stripe.fail_refunds(intent, 3, status=500)  # the SDK's three tries, all answered 500
    assert practitioner_cancels(dr, booking_id).status_code == 303
    [refund] = refunds_of(booking_id)
    assert refund.status == "pending" and refund.last_error and made_at_stripe(fake_stripe, intent) == []
    assert "$300.00 refund on its way" in client.get(f"/account/appointments/{booking_id}").get_data(as_text=True)

    retry_refunds_sweep()  # Stripe answers again
    retry_refunds_sweep()
    assert refunds_of(booking_id)[0].status == "succeeded"
    assert fake_stripe.refund_requests(intent) == 4
    assert made_at_stripe(fake_stripe, intent) == [30000]
    assert (payment_of(booking_id).status, payment_of(booking_id).refunded_minor) == ("refunded", 30000)


def test_a_refund_made_but_its_answer_lost_is_not_made_twice(client, paid, dr, fake_stripe):
    booking_id, intent = paid
    fake_stripe.fail_refunds(intent, 3, status=502, after_creating=True)  # made; every answer lost
    practitioner_cancels(dr, booking_id)
    assert refunds_of(booking_id)[0].status == "pending"
    assert made_at_stripe(fake_stripe, intent) == [30000]

    retry_refunds_sweep()  # the same idempotency key: Stripe replays the refund it made
    assert refunds_of(booking_id)[0].status == "succeeded"
    assert made_at_stripe(fake_stripe, intent) == [30000]
    assert payment_of(booking_id).refunded_minor == 30000


def test_a_refund_stripe_made_after_we_marked_it_failed_is_settled_by_its_webhook(client, paid, dr, fake_stripe):
    booking_id, intent = paid
    fake_stripe.fail_refunds(intent, 3, status=502, after_creating=True)
    practitioner_cancels(dr, booking_id)
    fake_stripe.forget_idempotency_keys()  # Stripe keeps a key 24 hours; the retry came later
    retry_refunds_sweep()
    [refund] = refunds_of(booking_id)
    assert refund.status == "failed" and "already been refunded" in refund.last_error

    [event] = [e for e in fake_stripe.events_of_type("refund.created")
               if e["data"]["object"]["payment_intent"] == intent]
    assert deliver(client, fake_stripe, event).status_code == 200
    assert [(r.status, r.amount_minor) for r in refunds_of(booking_id)] == [("succeeded", 30000)]
    assert (payment_of(booking_id).status, payment_of(booking_id).refunded_minor) == ("refunded", 30000)
    assert made_at_stripe(fake_stripe, intent) == [30000]


# --- a checkout opened again after it was paid (AlreadyPaid) -----------------------------------

def test_paying_again_for_a_session_already_paid_confirms_the_booking_without_a_second_checkout(
        client, patient, fake_stripe, mailbox):
    earlier = set(fake_stripe.sessions)
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    completed = fake_stripe.pay(session_id)  # paid; the webhook has not come yet
    pay_page = f"/book/pay/{booking_id}"
    assert "Pay $300.00 now" in client.get(pay_page).get_data(as_text=True)  # back through Stripe's cancel link

    response = post_form(client, pay_page, {})
    assert response.status_code == 303 and response.headers["Location"] == f"/account/appointments/{booking_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirmed" in page and "Paid" in page and "Pay now to confirm" not in page
    payment = payment_of(booking_id)
    assert payment.status == "paid" and payment.checkout_session_id == session_id
    assert [s["id"] for s in sessions_for(fake_stripe, payment.id, after=earlier)] == [session_id]  # no second session
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.purpose_id == booking_id)) == 1

    assert deliver(client, fake_stripe, completed).status_code == 200  # the webhook, late
    assert appointment(booking_id).status == "confirmed" and refunds_of(booking_id) == []
    assert emails("booking_confirmed") == 1
    assert [m["Subject"] for m in mailbox.wait_for("ada@example.com")] == ["Booked: Initial consultation"]


def test_buying_the_course_again_after_paying_enrols_her_instead_of_saying_stripe_is_down(
        client, make_user, auth, frozen, fake_stripe):
    build_course()
    earlier = set(fake_stripe.sessions)
    make_user("bea@example.com")
    auth.login("bea@example.com", DEFAULT_PASSWORD)
    landing = f"/courses/{SLUG}"
    first = post_form(client, f"{landing}/buy", {}, token_from=landing)
    assert first.status_code == 303 and first.headers["Location"].startswith(fake_stripe.url + "/pay/")
    payment = db.session.scalar(select(Payment).where(Payment.purpose == "course"))
    fake_stripe.pay(payment.checkout_session_id)  # paid; the webhook has not come yet

    again = post_form(client, f"{landing}/buy", {}, token_from=landing)  # a second tab, or the back button
    assert again.status_code == 303, again.get_data(as_text=True)
    assert not again.headers["Location"].startswith(fake_stripe.url)
    assert "couldn't reach our payment provider" not in client.get(again.headers["Location"], follow_redirects=True) \
        .get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
    assert [s["id"] for s in sessions_for(fake_stripe, payment.id, after=earlier)] == [payment.checkout_session_id]
    assert db.session.scalar(select(Payment.status).where(Payment.id == payment.id)) == "paid"
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


# --- expire-holds ------------------------------------------------------------------------------

def test_expire_holds_confirms_a_session_paid_meanwhile_and_never_gives_the_time_away(
        app, client, patient, make_user, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    completed = fake_stripe.pay(session_id)  # paid in time; the webhook is late
    frozen.shift(timedelta(minutes=36))  # past the hold
    expire_holds(app)
    assert appointment(booking_id).status == "confirmed" and appointment(booking_id).payment_status == "paid"
    assert payment_of(booking_id).status == "paid" and refunds_of(booking_id) == []
    assert fake_stripe.sessions[session_id]["status"] == "complete"
    assert emails("booking_confirmed") == 1

    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    assert book_via_api(other).status_code == 409  # her time is not given to anyone else

    assert deliver(client, fake_stripe, completed).status_code == 200
    expire_holds(app)
    assert appointment(booking_id).status == "confirmed" and refunds_of(booking_id) == []
    assert emails("booking_confirmed") == 1


def test_expire_holds_with_stripe_down_decides_nothing_about_a_paid_session_and_a_later_run_confirms_it(
        app, client, patient, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    fake_stripe.pay(session_id)  # paid in time; the webhook is late
    frozen.shift(timedelta(minutes=36))
    stripe_at(app, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    expire_holds(app)
    # The hold's time ran out (by design a booking attempt frees it too), but nothing is decided about
    # the payment while Stripe cannot say whether it was paid: no lapse, no refund, no email.
    assert appointment(booking_id).status == "expired"
    payment = payment_of(booking_id)
    assert (payment.status, payment.paid_at) == ("open", None)
    assert refunds_of(booking_id) == [] and emails("booking_confirmed") == 0
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0

    stripe_at(app, fake_stripe.url)  # Stripe is back; still no webhook
    expire_holds(app)
    assert appointment(booking_id).status == "confirmed" and appointment(booking_id).payment_status == "paid"
    assert payment_of(booking_id).status == "paid" and refunds_of(booking_id) == []
    assert emails("booking_confirmed") == 1


def test_expire_holds_with_stripe_down_leaves_an_unpaid_session_for_a_later_run_to_expire(
        app, client, auth, patient, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    frozen.shift(timedelta(minutes=36))
    stripe_at(app, f"http://127.0.0.1:{free_port()}")
    expire_holds(app)
    assert appointment(booking_id).status == "expired"
    assert payment_of(booking_id).status == "open"  # not taken as expired on a guess
    assert fake_stripe.sessions[session_id]["status"] == "open"

    stripe_at(app, fake_stripe.url)
    expire_holds(app)
    assert fake_stripe.sessions[session_id]["status"] == "expired"  # it can no longer be paid
    assert payment_of(booking_id).status == "expired"
    auth.login("ada@example.com", DEFAULT_PASSWORD)  # her session went idle meanwhile
    assert book_via_api(client).status_code == 201  # the time is free again


def test_expire_holds_does_not_take_a_session_stripe_would_not_expire_as_expired(
        app, client, patient, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    frozen.shift(timedelta(minutes=36))
    fake_stripe.fail_next(3, status=500)  # the expire call (three tries) fails; reading the session works
    expire_holds(app)
    assert fake_stripe.sessions[session_id]["status"] == "open"
    assert payment_of(booking_id).status == "open"  # it can still be paid, so it is not marked expired

    expire_holds(app)
    assert fake_stripe.sessions[session_id]["status"] == "expired"
    assert payment_of(booking_id).status == "expired"


def test_a_hold_released_before_expire_holds_runs_still_has_its_session_expired(
        app, client, patient, make_user, fake_stripe, frozen):
    booking_id = book_via_api(client).get_json()["id"]
    session_id = session_of(booking_id)
    frozen.shift(timedelta(minutes=36))
    other = app.test_client()
    make_user("bea@example.com")
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    assert book_via_api(other).status_code == 201  # her booking frees the ran-out hold on the way
    assert appointment(booking_id).status == "expired"
    expire_holds(app)
    assert fake_stripe.sessions[session_id]["status"] == "expired"
    assert payment_of(booking_id).status == "expired"
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.starts_at == THURSDAY_10, Appointment.status == "pending_payment")) == 1
