"""Placing a booking: the one sequence behind the booking pages and the JSON API.

Hold or book the time (scheduling), queue the confirmation when no payment is due (notify), commit,
then start Stripe Checkout for a held time (billing). Checkout comes after the commit, so the time is
held whatever Stripe answers; when Stripe cannot be reached the hold stays and the patient can pay from
her appointment page until it lapses.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app

from app.billing import consultations
from app.billing.checkout import CheckoutUnavailable
from app.extensions import db
from app.models.scheduling import PENDING_PAYMENT, Appointment
from app.notify.appointments import booking_confirmed
from app.scheduling import booking

__all__ = ["Placed", "hold_limits", "place"]


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
