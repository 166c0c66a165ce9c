"""What paying for a consultation does: confirm the held time, or, when the payment arrives after the
hold ran out and the time has been taken, refund in full and tell both sides."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import select

from app.billing import purposes
from app.extensions import db
from app.models.billing import Payment
from app.models.scheduling import CANCELLED, CONFIRMED, EXPIRED, PAID, PENDING_PAYMENT, Appointment, PractitionerProfile
from app.notify.appointments import booking_confirmed
from app.notify.mail import queue_email
from app.scheduling import availability as engine
from app.scheduling import booking, schedule

LATE_REASON = "Your payment arrived after the time was released and it had been booked by someone else."


def _appointment(payment: Payment) -> Appointment:
    appointment = db.session.get(Appointment, payment.purpose_id, populate_existing=True)
    if appointment is None:  # appointments are never deleted (a cancelled one is kept)
        raise LookupError(f"payment {payment.id} is for appointment {payment.purpose_id}, which does not exist")
    return appointment


def on_paid(payment: Payment, now: datetime) -> str | None:
    appointment = _appointment(payment)
    if appointment.status == PENDING_PAYMENT and appointment.hold_expires_at and appointment.hold_expires_at > now:
        _confirm(appointment, payment)
        return None
    if appointment.status in (PENDING_PAYMENT, EXPIRED) and _still_free(appointment, now):
        _confirm(appointment, payment)
        return None
    return _refuse_late(appointment, payment, now)


def _still_free(appointment: Appointment, now: datetime) -> bool:
    db.session.execute(select(PractitionerProfile.id).where(PractitionerProfile.id == appointment.practitioner_id)
                       .with_for_update())
    booking.release_expired_holds(appointment.practitioner_id, now,
                                  engine.Span(appointment.blocked_start, appointment.blocked_end))
    ct = appointment.consultation_type
    day = timedelta(days=1)
    inputs = schedule.load_inputs(ct, appointment.starts_at - day, appointment.starts_at + day,
                                  now, ignore_appointment_id=appointment.id)
    # Notice and horizon were checked when the time was held; only whether it is still free matters now.
    policy = replace(inputs.policy, min_notice=timedelta(0), horizon=timedelta(days=3660))
    kwargs = {**inputs.kwargs(), "policy": policy}
    return appointment.starts_at > now and engine.is_open(appointment.starts_at, **kwargs, now=now)


def _confirm(appointment: Appointment, payment: Payment) -> None:
    appointment.status = CONFIRMED
    appointment.hold_expires_at = None
    appointment.payment_status = PAID
    db.session.flush()  # the PostgreSQL exclusion constraint checks the revived hold here
    booking_confirmed(appointment, payment)


def _refuse_late(appointment: Appointment, payment: Payment, now: datetime) -> str:
    if appointment.status in (PENDING_PAYMENT, EXPIRED):
        appointment.status = CANCELLED
        appointment.cancelled_at = now
        appointment.cancel_reason = LATE_REASON
        appointment.hold_expires_at = None
    nearest = schedule.nearest_open(appointment.consultation_type, appointment.starts_at, now)
    patient = appointment.patient
    if patient is not None:
        queue_email(patient.email, "late_payment_refunded", subject="Your payment has been refunded in full",
                    appointment=appointment, payment=payment, patient=patient, nearest=nearest)
    practitioner = appointment.practitioner.user
    queue_email(practitioner.email, "practitioner_late_refund", subject="A late payment was refunded automatically",
                appointment=appointment, payment=payment, practitioner=practitioner)
    return "Late payment for a time no longer available"


def on_lapsed(payment: Payment, now: datetime) -> None:
    appointment = _appointment(payment)
    if appointment.status == PENDING_PAYMENT:
        appointment.status = EXPIRED
        appointment.hold_expires_at = None


def landing(payment: Payment) -> str:
    return url_for("account.appointment", appointment_id=payment.purpose_id)


def register_purpose() -> None:
    """Appointments are something a payment buys (called by the app factory)."""
    purposes.register("appointment", on_paid=on_paid, on_lapsed=on_lapsed, landing=landing)
