"""Money around a consultation: starting checkout for a held time, the refund when it is cancelled,
and payments recorded by hand (cash, card terminal) when Stripe is not used. The sequences that use
them (place, cancel, reschedule, refund) are in app/bookings.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.billing import checkout, refunds
from app.billing.client import StripeError, client, enabled
from app.billing.fulfilment import fulfil_checkout
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.billing import EXPIRED, OPEN, PAID, Payment
from app.models.scheduling import BLOCKING, PENDING_PAYMENT, Appointment, AppointmentStatus
from app.notify.appointments import payment_receipt
from app.notify.mail import note_checkout_to_expire

METHODS = {"cash": "Cash", "card_terminal": "Card terminal", "bank_transfer": "Bank transfer", "other": "Other"}


def find_open_payment(appointment: Appointment) -> Payment | None:
    """The appointment's latest payment still open (not paid, not lapsed), or None. Creates nothing."""
    return db.session.scalar(select(Payment).where(
        Payment.purpose == "appointment", Payment.purpose_id == appointment.id, Payment.status == OPEN)
        .order_by(Payment.id.desc()).limit(1))


def ensure_checkout(appointment: Appointment, now: datetime) -> str | None:
    """The Checkout URL for a held appointment, creating the session if needed (after the commit).
    Raises checkout.CheckoutUnavailable when Stripe cannot be reached; the hold is kept."""
    if appointment.status != PENDING_PAYMENT or not appointment.is_blocking(now):
        return None
    payment = find_open_payment(appointment)
    if payment is None:
        if appointment.patient is None:  # the patient's account was erased: there is no one to charge
            return None
        payment = checkout.create_appointment_payment(appointment, appointment.patient)
    db.session.commit()
    success, cancel = checkout.return_urls(payment)
    try:
        url = checkout.start_checkout(payment, now=now, success_url=success, cancel_url=cancel,
                                      hold_expires_at=appointment.hold_expires_at)
    except checkout.AlreadyPaid as paid:
        fulfil_checkout(str(paid), now)
        db.session.commit()  # a refund it decided is sent by the worker
        return None
    db.session.commit()
    return url


def refund_on_cancel(appointment: Appointment, *, by: User, now: datetime) -> int:
    """Apply the refund policy to a cancellation (inside its transaction). Returns the amount decided."""
    paid = refunds.paid_payment_for(appointment)
    if paid is not None:
        amount = refunds.cancellation_refund(appointment, paid, by=by, now=now)
        refunds.request_refund(paid, amount, reason=f"Cancelled by the {by.role}", by=by)
        return amount
    pending = find_open_payment(appointment)
    if pending is not None:
        pending.status = EXPIRED  # nothing was paid; the session is expired on Stripe after the commit
    return 0


def expire_checkout_after_cancel(appointment: Appointment) -> None:
    """Best effort: stop a cancelled hold's Checkout Session from being paid."""
    if not enabled():
        return
    payment = db.session.scalar(select(Payment).where(
        Payment.purpose == "appointment", Payment.purpose_id == appointment.id, Payment.status == EXPIRED,
        Payment.checkout_session_id.is_not(None)).order_by(Payment.id.desc()).limit(1))
    if payment is None:
        return
    note_checkout_to_expire(payment.id)
    db.session.commit()  # hands it to the worker (app/tasks.py: expire_checkout)


def expire_checkout_now(payment_id: int) -> None:
    """The worker's half of expire_checkout_after_cancel."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or not payment.checkout_session_id:
        return
    session_id = payment.checkout_session_id
    db.session.commit()
    try:
        client().v1.checkout.sessions.expire(session_id)
    except StripeError:
        pass  # already expired or complete; a completed one is refunded when its webhook arrives


def record_manual_payment(appointment: Appointment, *, amount_minor: int, method: str, by: User,
                          now: datetime) -> Payment:
    if method not in METHODS:
        raise refunds.RefundError("Choose how the payment was made.")
    if amount_minor <= 0:
        raise refunds.RefundError("Enter the amount received.")
    if appointment.status not in BLOCKING and appointment.status != AppointmentStatus.COMPLETED:
        raise refunds.RefundError("Payments can be recorded for active or completed appointments only.")
    if refunds.paid_payment_for(appointment) is not None:
        raise refunds.RefundError("A payment is already recorded for this appointment.")
    payment = Payment(patient_id=appointment.patient_id, purpose="appointment", purpose_id=appointment.id,
                      description=appointment.consultation_type.name, amount_minor=amount_minor,
                      currency=appointment.currency, provider="manual", method=method, status=PAID, paid_at=now,
                      recorded_by_id=by.id)
    db.session.add(payment)
    appointment.payment_status = PAID
    db.session.flush()
    record("manual_payment", "payment", payment.id, actor=by, patient_id=appointment.patient_id,
           detail={"amount": amount_minor, "method": method})
    payment_receipt(payment, appointment)
    return payment


