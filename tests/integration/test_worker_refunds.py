"""Stripe unreachable during a cancel: the page answers at once (it never calls Stripe for the refund);
the worker sends the refund when Stripe is back, once. Two workers at once send one refund once."""
from __future__ import annotations

import threading

import pytest
import time_machine
from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models.billing import Refund
from tests.conftest import DEFAULT_PASSWORD
from tests.support.payments import NOW, paid_booking
from tests.support.web import post_confirmed
from tests.support.worker import run_pending

pytestmark = pytest.mark.payments  # payments on, against the fake Stripe server


@pytest.fixture
def booked(client, make_practice, make_user, auth, fake_stripe):
    with time_machine.travel(NOW, tick=True):
        make_practice()
        make_user("ada@example.com", timezone="Europe/London")
        auth.login("ada@example.com", DEFAULT_PASSWORD)
        yield paid_booking(client, fake_stripe)


def _stripe_at(app, base: str) -> None:
    app.config["STRIPE_API_BASE"] = base
    app.extensions.pop("stripe_client", None)  # the next call builds a client for this address


def _refunds_at(fake) -> int:
    return sum(1 for method, path, _ in fake.requests if method == "POST" and path == "/v1/refunds")


def test_stripe_unreachable_during_a_cancel_the_worker_refunds_once_it_is_back(app, client, booked, fake_stripe):
    from tests.support.mailbox import free_port

    client.run_worker = False
    _stripe_at(app, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    before = _refunds_at(fake_stripe)
    path = f"/account/appointments/{booked}"
    assert post_confirmed(client, f"{path}/cancel", {}, token_from=path).status_code == 303
    refund = db.session.scalar(select(Refund))
    assert refund.status == "pending" and _refunds_at(fake_stripe) == before  # decided, not sent by the page

    run_pending()  # the worker tries: Stripe cannot be reached, the refund stays pending
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "pending"
    assert db.session.get(Refund, refund.id).last_error

    _stripe_at(app, fake_stripe.url)  # Stripe is back
    tasks.PERIODIC_TASKS["retry-refunds"].call_local()
    tasks.PERIODIC_TASKS["retry-refunds"].call_local()
    tasks.send_refund(refund.id)
    run_pending()
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "succeeded"
    assert _refunds_at(fake_stripe) == before + 1  # once, however often the worker looked
    intent = db.session.get(Refund, refund.id).payment.payment_intent_id
    assert len([r for r in fake_stripe.refunds.values() if r["payment_intent"] == intent]) == 1


def test_two_workers_at_the_same_moment_send_a_refund_once(app, client, booked, fake_stripe):
    from app.billing.refunds import send

    client.run_worker = False
    path = f"/account/appointments/{booked}"
    post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    refund_id = db.session.scalar(select(Refund.id))
    db.session.commit()
    before, results, start = _refunds_at(fake_stripe), [], threading.Barrier(2)

    def worker():
        with app.app_context():
            start.wait()
            results.append(send(refund_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False, True]
    assert _refunds_at(fake_stripe) == before + 1
