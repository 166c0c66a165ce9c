"""Fulfilling a Checkout Session, exactly once, whoever gets there first (webhook or success page).

The session is fetched from Stripe (never trusted from an event body), then the payment row is
locked and moved from open to paid only if it is not already paid. What was bought is then honoured
by its purpose's handler; if it can no longer be (a late payment for a time taken meanwhile), a full
refund is decided in the same transaction and sent to Stripe after the commit.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app.billing import purposes, refunds
from app.billing.client import StripeError, client
from app.billing.locks import claim_event, lock_payment, plain
from app.extensions import db
from app.models.audit import record
from app.models.billing import EXPIRED, FAILED, OPEN, PAID, Payment

log = logging.getLogger("homeostasis.billing")


class UnknownPayment(Exception):
    """A Checkout Session that is not ours (or not any more): acknowledged, nothing done."""


def fetch_session(session_id: str):
    """The session from Stripe. One Stripe does not know (404: another account's, a test-mode leftover,
    a made-up id) is not ours: UnknownPayment, acknowledged rather than retried for days."""
    try:
        return client().v1.checkout.sessions.retrieve(session_id, params={"expand": ["payment_intent"]})
    except StripeError as error:
        if error.http_status == 404:
            raise UnknownPayment(session_id) from error
        raise


def _payment_for(session) -> Payment | None:
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == session.id))
    metadata = plain(session.metadata)
    if payment is None and str(metadata.get("payment_id", "")).isdigit():
        payment = db.session.get(Payment, int(metadata["payment_id"]))
    return payment


def fulfil_checkout(session_id: str, now: datetime, *, event_id: str | None = None,
                    event_type: str = "checkout.session.completed") -> Payment | None:
    """Fulfil a paid Checkout Session. Idempotent. The caller commits, then calls after_commit()."""
    session = fetch_session(session_id)
    with_lock_id = _payment_id_of(session)
    if with_lock_id is None:
        raise UnknownPayment(session_id)
    with lock_payment(with_lock_id):
        if not claim_event(event_id, event_type):
            return None
        payment = _locked(with_lock_id)
        intent = session.payment_intent
        intent_id = intent if isinstance(intent, str) else getattr(intent, "id", None)
        if payment.status != OPEN and payment.status not in (EXPIRED, FAILED):
            if session.payment_status == "paid" and intent_id and intent_id != payment.payment_intent_id:
                _refund_duplicate(payment, session, intent_id, now)
            return payment  # already paid (and perhaps refunded): nothing more to do
        if session.payment_status != "paid":
            return payment  # e.g. a delayed payment method: wait for async_payment_succeeded
        payment.status = PAID
        payment.paid_at = now
        payment.checkout_session_id = session.id
        payment.payment_intent_id = intent_id
        record("paid", "payment", payment.id, patient_id=payment.patient_id,
               detail={"amount": payment.amount_minor, "currency": payment.currency})
        refusal = purposes.purpose(payment.purpose).on_paid(payment, now)
        if refusal:
            refunds.request_refund(payment, payment.amount_minor, reason=refusal, by=None)
        return payment


def _refund_duplicate(payment: Payment, session, intent_id: str, now: datetime) -> None:
    """A second Checkout Session for the same purchase was paid too: record it and refund it in full."""
    if db.session.scalar(select(Payment.id).where(Payment.payment_intent_id == intent_id)) is not None:
        return
    duplicate = Payment(patient_id=payment.patient_id, purpose=payment.purpose, purpose_id=payment.purpose_id,
                        description=f"Duplicate payment: {payment.description}"[:200],
                        amount_minor=session.amount_total or payment.amount_minor, currency=payment.currency,
                        provider="stripe", status=PAID, paid_at=now, payment_intent_id=intent_id)
    db.session.add(duplicate)
    db.session.flush()
    record("paid", "payment", duplicate.id, patient_id=payment.patient_id, detail={"duplicate_of": payment.id})
    refunds.request_refund(duplicate, duplicate.amount_minor, reason="Duplicate payment", by=None)


def _locked(payment_id: int) -> Payment:
    """The payment just found and now locked, read afresh."""
    payment = db.session.get(Payment, payment_id, populate_existing=True)
    assert payment is not None, "payments are never deleted"  # and this one was found a moment ago
    return payment


def _payment_id_of(session) -> int | None:
    payment = _payment_for(session)
    return payment.id if payment else None


def lapse_checkout(session_id: str, now: datetime, *, event_id: str | None = None,
                   event_type: str = "checkout.session.expired") -> Payment | None:
    """The session expired unpaid: release what it held. An expiry after payment changes nothing."""
    session = fetch_session(session_id)
    payment_id = _payment_id_of(session)
    if payment_id is None:
        raise UnknownPayment(session_id)
    with lock_payment(payment_id):
        if not claim_event(event_id, event_type):
            return None
        payment = _locked(payment_id)
        if payment.status != OPEN:
            return payment
        if session.status == "complete" and session.payment_status == "paid":
            return None  # it was paid after all; the completed event will fulfil it
        payment.status = FAILED if event_type.endswith("async_payment_failed") else EXPIRED
        record("expired", "payment", payment.id, patient_id=payment.patient_id)
        purposes.purpose(payment.purpose).on_lapsed(payment, now)
        return payment


def mark_event(event_id: str, event_type: str) -> bool:
    """Record an event we acknowledge without acting on; False when seen before."""
    return claim_event(event_id, event_type)
