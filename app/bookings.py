"""The workflow layer for appointments: each sequence that spans scheduling, billing and notify is one
function here, and every page, the JSON API and the erasure call it rather than repeat it.

- place: hold or book the time (scheduling), queue the confirmation when no payment is due (notify),
  commit, then start Stripe Checkout for a held time (billing). Checkout comes after the commit, so the
  time is held whatever Stripe answers; when Stripe cannot be reached the hold stays and the patient can
  pay from her appointment page until it lapses.
- cancel: cancel (scheduling), decide the refund (billing; the share is scheduling/window.refund_share),
  queue the emails (notify), commit; then ask the worker to expire an unpaid Checkout Session and offer
  the freed time to the waitlist. cancel_preview says beforehand what it would do, writing nothing.
  release_hold lets an unpaid hold go from the pay page.
- reschedule: move (scheduling), queue the updated invite and notice (notify), commit.
- refund: a refund the practitioner issues, under the payment's lock (billing), the patient's email
  (notify), commit. The worker sends it to Stripe.

Each commits once; on a refusal (booking.BookingError, refunds.RefundError) the transaction is rolled
back and the error raised for the caller to show.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app

from app.billing import consultations, refunds
from app.billing.checkout import CheckoutUnavailable
from app.billing.client import enabled as billing_enabled
from app.billing.locks import lock_payment
from app.extensions import db
from app.models.accounts import User
from app.models.billing import Payment, Refund
from app.models.scheduling import CONFIRMED, PENDING_PAYMENT, Appointment
from app.notify import waitlist as waitlist_notices
from app.notify.appointments import (
    booking_cancelled,
    booking_confirmed,
    booking_rescheduled,
    refund_issued,
    who_is_told,
)
from app.scheduling import booking

__all__ = ["CancelPreview", "NoPaymentToRefund", "Placed", "after_cancel", "cancel", "cancel_in_transaction",
           "cancel_preview", "hold_limits", "place", "refund", "release_hold", "reschedule"]


@dataclass(frozen=True)
class Placed:
    appointment: Appointment
    # Where to pay, for a held time. None when the booking is confirmed, when the session was found
    # already paid (the appointment is then confirmed), or when Stripe could not be reached.
    checkout_url: str | None = None
    checkout_unavailable: bool = False  # Stripe could not be reached: the time stays held

    @property
    def awaiting_payment(self) -> bool:
        return self.appointment.status == PENDING_PAYMENT


def hold_limits() -> booking.HoldLimits:
    """The settings' cap on one patient's unpaid holds at once (config.py: HOLDS_PER_TYPE, HOLDS_TOTAL)."""
    return booking.HoldLimits(per_type=current_app.config["HOLDS_PER_TYPE"], total=current_app.config["HOLDS_TOTAL"])


def place(request: booking.BookingRequest, now: datetime) -> Placed:
    """Book `request` and commit. Raises booking.BookingError (the transaction rolled back) when the
    time cannot be had; its status (409 taken, 422 not offered or not allowed) and message are for the patient."""
    if request.take_payment and request.hold_limits is None:
        request = replace(request, hold_limits=hold_limits())
    try:
        appointment = booking.book(request, now)
    except booking.BookingError:
        db.session.rollback()
        raise
    if appointment.status != PENDING_PAYMENT:
        booking_confirmed(appointment)
    db.session.commit()
    if appointment.status != PENDING_PAYMENT:
        return Placed(appointment)
    try:
        url = consultations.ensure_checkout(appointment, now)
    except CheckoutUnavailable:
        db.session.rollback()
        return Placed(appointment, checkout_unavailable=True)
    return Placed(appointment, checkout_url=url)


# --- cancelling ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CancelPreview:
    """What cancelling would do, for the confirmation page: nothing is changed to find it out."""

    refund_minor: int  # what the policy refunds (0: nothing)
    currency: str
    paid_minor: int  # what was paid (0: nothing yet)
    refund_by_hand: bool  # a payment recorded by hand is given back by hand, outside the app
    emails_patient: str | None  # the address told, or None (a released hold tells no one)
    emails_practice: str | None


def cancel_preview(appointment: Appointment, *, by: User, now: datetime, reason: str = "") -> CancelPreview:
    """Raises booking.BookingError as cancel would; the refund is the one cancel would decide."""
    booking.check_cancel(appointment, by=by, now=now, reason=reason)
    paid = refunds.paid_payment_for(appointment)
    refund_minor = refunds.cancellation_refund(appointment, paid, by=by, now=now)
    patient, practice = who_is_told(appointment, by=by) if appointment.status == CONFIRMED else (None, None)
    return CancelPreview(refund_minor=refund_minor, currency=paid.currency if paid else appointment.currency,
                         paid_minor=paid.amount_minor if paid else 0,
                         refund_by_hand=paid is not None and paid.provider == "manual",
                         emails_patient=patient, emails_practice=practice)


def cancel_in_transaction(appointment: Appointment, *, by: User, now: datetime, reason: str = "") -> int:
    """The writes of a cancellation, in the caller's transaction (the erasure cancels several in its own):
    cancel, apply the refund policy, queue the emails. Returns the refund decided. Call after_cancel()
    once committed."""
    was_status = appointment.status
    booking.cancel(appointment, by=by, now=now, reason=reason)
    refunded = consultations.refund_on_cancel(appointment, by=by, now=now)
    booking_cancelled(appointment, by=by, was_status=was_status, refund_minor=refunded)
    return refunded


def after_cancel(appointment: Appointment) -> None:
    """What must follow a cancellation's commit: ask the worker to expire an unpaid session (the refund,
    a pending Refund row, was handed to the worker by the commit), offer the freed time to the waitlist
    (database and outbox only; the periodic run does it too). Nothing here waits on Stripe."""
    consultations.expire_checkout_after_cancel(appointment)
    waitlist_notices.process(practitioner_id=appointment.practitioner_id, take_payment=billing_enabled())


def cancel(appointment: Appointment, *, by: User, now: datetime, reason: str = "") -> int:
    """Cancel under the refund policy and commit, then the work that follows the commit. Returns the
    refund decided (0: none). Raises booking.BookingError (rolled back) when it may not be cancelled."""
    try:
        refunded = cancel_in_transaction(appointment, by=by, now=now, reason=reason)
    except booking.BookingError:
        db.session.rollback()
        raise
    db.session.commit()
    after_cancel(appointment)
    return refunded


def release_hold(appointment: Appointment, *, by: User, now: datetime) -> None:
    """The patient lets a time she has not paid for go (the pay page): cancelled with nothing to tell and
    nothing to refund, the open payment expired, committed; then the worker expires its Checkout Session.
    The freed time reaches the waitlist at its periodic run."""
    booking.cancel(appointment, by=by, now=now, reason="Released before payment")
    consultations.refund_on_cancel(appointment, by=by, now=now)
    db.session.commit()
    consultations.expire_checkout_after_cancel(appointment)


# --- moving and refunding ------------------------------------------------------------------------------

def reschedule(appointment: Appointment, new_start: datetime, *, by: User, now: datetime) -> Appointment:
    """Move to `new_start`, queue the updated invite (and the practitioner's notice), commit. Raises
    booking.BookingError (rolled back) when the time cannot be had or the move is not allowed."""
    try:
        booking.reschedule(appointment, new_start, by=by, now=now)
        booking_rescheduled(appointment, by=by)
    except booking.BookingError:
        db.session.rollback()
        raise
    db.session.commit()
    return appointment


class NoPaymentToRefund(refunds.RefundError):
    status = 409


def refund(appointment: Appointment, payment: Payment, amount_minor: int, *, by: User, reason: str) -> Refund | None:
    """The practitioner refunds `amount_minor` of `payment` (the one her confirmation page showed): under
    the payment's lock, so a webhook or the success page never interleaves; the patient is emailed;
    committed, and the worker sends it to Stripe. Raises refunds.RefundError (rolled back): more than
    remains, no longer paid, or NoPaymentToRefund when the payment is gone."""
    try:
        with lock_payment(payment.id):
            locked = db.session.get(Payment, payment.id, populate_existing=True)
            if locked is None:  # gone while waiting for the lock
                raise NoPaymentToRefund("There is no payment to refund.")
            issued = refunds.request_refund(locked, amount_minor, by=by, reason=reason or "Refund by the practice")
            refund_issued(issued, appointment)
    except refunds.RefundError:
        db.session.rollback()
        raise
    db.session.commit()  # the worker sends a Stripe refund (app/tasks.py); the page does not wait
    return issued
