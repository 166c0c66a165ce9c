"""Refunds: decided inside a transaction (a pending Refund row), sent to Stripe by the worker after the
commit (one task per refund, app/tasks.py) with an idempotency key derived from the refund's id, retried
until Stripe confirms, or marked failed when Stripe refuses it. Never more than remains. No request waits
on Stripe for a refund."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import stripe
from sqlalchemy import or_, select, update

from app.billing.client import StripeError, client
from app.billing.locks import claim_event, lock_payment, plain
from app.clock import utcnow
from app.database import rowcount
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.billing import PAID, PARTIALLY_REFUNDED, REFUNDED, Payment, Refund, RefundStatus
from app.models.scheduling import Appointment
from app.money import format_amount
from app.refusals import Refusal
from app.scheduling import window

if TYPE_CHECKING:
    from stripe.params import RefundCreateParams

log = logging.getLogger("homeostasis.billing")
# Stripe's "no" to the request itself; anything else (5xx, network, rate limit) is retried.
REFUSED = (stripe.InvalidRequestError, stripe.CardError)


class RefundError(Refusal):
    pass


def request_refund(payment: Payment, amount_minor: int, *, reason: str, by: User | None) -> Refund | None:
    """Decide a refund (0 means none). Manual payments are refunded at once (by hand, outside the app)."""
    if amount_minor <= 0:
        return None
    check_refund(payment, amount_minor)
    refund = Refund(payment=payment, amount_minor=amount_minor, reason=reason[:200],
                    created_by_id=getattr(by, "id", None))
    db.session.add(refund)
    if payment.provider == "manual":
        _settle(refund)
    record("refund_requested", "payment", payment.id, actor=by, patient_id=payment.patient_id,
           detail={"amount": amount_minor, "reason_given": bool(reason.strip())})  # the text is on the refund
    db.session.flush()
    return refund


def check_refund(payment: Payment, amount_minor: int) -> None:
    """Raise the RefundError request_refund would, changing nothing (the confirmation page)."""
    if payment.status not in (PAID, PARTIALLY_REFUNDED):
        raise RefundError("Only a paid payment can be refunded.")
    if amount_minor > payment.refundable_minor:
        left = f"{format_amount(payment.refundable_minor, payment.currency)} {payment.currency.upper()}"
        raise RefundError(f"At most {left} can still be refunded.")


def _settle(refund: Refund) -> None:
    payment = refund.payment
    refund.status = RefundStatus.SUCCEEDED
    payment.refunded_minor = min(payment.amount_minor, payment.refunded_minor + refund.amount_minor)
    payment.status = REFUNDED if payment.refunded_minor >= payment.amount_minor else PARTIALLY_REFUNDED
    _sync_appointment(payment)


def _sync_appointment(payment: Payment) -> None:
    if payment.purpose != "appointment":
        return
    appointment = db.session.get(Appointment, payment.purpose_id)
    if appointment is not None:
        appointment.payment_status = payment.status


def cancellation_refund(appointment: Appointment, payment: Payment | None, *, by: User, now: datetime) -> int:
    """What the policy refunds if `by` cancels `appointment` now (scheduling/window.refund_share decides;
    nothing when nothing was paid)."""
    return window.refund_share(
        window.RefundPolicy.of(appointment.practitioner), starts_at=appointment.starts_at, now=now,
        by_practitioner=by.is_practitioner, kept=appointment.refund_notice_closed_at,
        paid_minor=payment.amount_minor if payment is not None else 0,
        refundable_minor=payment.refundable_minor if payment is not None else 0).minor


def paid_payment_for(appointment: Appointment) -> Payment | None:
    return db.session.scalar(select(Payment).where(
        Payment.purpose == "appointment", Payment.purpose_id == appointment.id,
        Payment.status.in_((PAID, PARTIALLY_REFUNDED))).order_by(Payment.id.desc()).limit(1))


CLAIM_LEASE = timedelta(minutes=5)  # longer than the SDK's 80 s timeout times its retries


def send_pending(limit: int = 50) -> tuple[int, int]:
    """Send decided refunds to Stripe (the worker's retry job). Returns (sent, not sent)."""
    pending = db.session.scalars(select(Refund.id).where(Refund.status == RefundStatus.PENDING)
                                 .order_by(Refund.id).limit(limit)).all()
    db.session.commit()
    sent = failed = 0
    for refund_id in pending:
        if send(refund_id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def _claim(refund_id: int) -> bool:
    """Hold a pending refund for this worker (a conditional UPDATE): another host that tries at the same
    moment updates no row and leaves it alone, so one idempotency key is never in flight twice."""
    now = utcnow()
    claimed = rowcount(db.session.execute(
        update(Refund)
        .where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING,
               or_(Refund.claimed_until.is_(None), Refund.claimed_until <= now))
        .values(claimed_until=now + CLAIM_LEASE)
    ))
    db.session.commit()
    return bool(claimed)


def send(refund_id: int) -> bool:
    """Send one pending refund to Stripe, if no other worker is sending it. True once Stripe confirmed."""
    if not _claim(refund_id):
        return False
    try:
        return _send(refund_id)
    finally:
        db.session.rollback()
        db.session.execute(update(Refund).where(Refund.id == refund_id).values(claimed_until=None))
        db.session.commit()


def _refund(refund_id: int, *, populate_existing: bool = False) -> Refund:
    refund = db.session.get(Refund, refund_id, populate_existing=populate_existing)
    # Called only for a refund read or claimed a moment ago, and refunds are never deleted.
    assert refund is not None, f"refund {refund_id} vanished"
    return refund


def _send(refund_id: int) -> bool:
    refund = _refund(refund_id)
    payment = refund.payment
    key = f"refund-{refund.id}-{int(refund.created_at.timestamp() * 1e6)}"
    # The fields in the order they have always been sent, for retries under an earlier idempotency key.
    params: RefundCreateParams = {}
    if payment.payment_intent_id is not None:  # the SDK leaves out a None value in any case
        params["payment_intent"] = payment.payment_intent_id
    params["amount"] = refund.amount_minor
    params["metadata"] = {"refund_id": str(refund.id), "payment_id": str(payment.id)}
    db.session.commit()  # no transaction (no lock) held while Stripe answers
    try:
        stripe_refund = client().v1.refunds.create(params, options={"idempotency_key": key})
    except REFUSED as error:
        # Stripe answered and said no (already refunded, disputed, ...): the same request would get the
        # same answer, so it is not retried. The practitioner sees it failed, and why, on the appointment.
        refund = _refund(refund_id)
        refund.status = RefundStatus.FAILED
        refund.last_error = f"{error.__class__.__name__}: {error.user_message or error}"[:500]
        record("refund_failed", "payment", refund.payment_id, patient_id=refund.payment.patient_id,
               detail={"amount": refund.amount_minor, "code": getattr(error, "code", None)})
        db.session.commit()
        log.error("refund %s refused by Stripe: %s", refund_id, getattr(error, "code", None))
        return False
    except StripeError as error:
        refund = _refund(refund_id)
        refund.last_error = f"{error.__class__.__name__}: {error}"[:500]
        db.session.commit()
        log.warning("refund %s not sent yet: %s", refund_id, error.__class__.__name__)
        return False
    with lock_payment(payment.id):
        refund = _refund(refund_id, populate_existing=True)
        if refund.status == RefundStatus.PENDING:
            refund.stripe_refund_id = stripe_refund.id
            _settle(refund)
            record("refunded", "payment", refund.payment_id, patient_id=refund.payment.patient_id,
                   detail={"amount": refund.amount_minor})
    db.session.commit()
    return True


def reconcile(stripe_refund_id: str, *, event_id: str, event_type: str) -> bool:
    """A refund event: fetch the refund from Stripe and make our books agree. False for a duplicate."""
    remote = client().v1.refunds.retrieve(stripe_refund_id)
    refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == remote.id))
    metadata = plain(remote.metadata)
    if refund is None and str(metadata.get("refund_id", "")).isdigit():
        refund = db.session.get(Refund, int(metadata["refund_id"]))
    payment = refund.payment if refund is not None else db.session.scalar(
        select(Payment).where(Payment.payment_intent_id == remote.payment_intent))
    if payment is None:
        return claim_event(event_id, event_type)
    with lock_payment(payment.id):
        if not claim_event(event_id, event_type):
            return False
        if remote.status != "succeeded":
            return True
        if refund is not None:
            refund = _refund(refund.id, populate_existing=True)
            # Made after all (e.g. a lost answer, then a refusal).
            if refund.status in (RefundStatus.PENDING, RefundStatus.FAILED):
                refund.stripe_refund_id = remote.id
                _settle(refund)
            return True
        # A refund made in Stripe's dashboard: record it against its payment.
        payment = db.session.get(Payment, payment.id, populate_existing=True)
        assert payment is not None, "payments are never deleted, and this one was read above"
        amount = min(remote.amount, payment.amount_minor - payment.refunded_minor)
        if amount > 0:
            refund = Refund(payment=payment, amount_minor=amount, reason="Refunded in Stripe",
                            stripe_refund_id=remote.id, status=RefundStatus.PENDING)
            db.session.add(refund)
            _settle(refund)
        return True
