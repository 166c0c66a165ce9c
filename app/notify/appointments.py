"""Messages about appointments and their money, queued in the transaction that makes the change, so
they are sent only once it commits. Each has a dedupe key: a second call for the same change adds
nothing. Times are written in the recipient's zone; the patient's calendar invite travels with
the confirmation, each reschedule and the cancellation."""
from __future__ import annotations

from app.clock import utcnow
from app.models.accounts import User
from app.models.billing import Payment, Refund, appointment_payments
from app.models.scheduling import CONFIRMED, Appointment
from app.notify import invites, reminders
from app.notify.intake import intake_is_complete, intake_path
from app.notify.mail import queue_for


def _context(appointment: Appointment, **extra) -> dict:
    ct = appointment.consultation_type
    location = invites.where(appointment)
    return {"appointment": appointment, "ct": ct, "profile": appointment.practitioner, "location": location,
            "location_is_link": invites.is_link(location), **extra}


def _intake_nudge(appointment: Appointment) -> str | None:
    """The intake link when the visit needs a questionnaire the patient has not finished."""
    return None if intake_is_complete(appointment) else intake_path(appointment)


def booking_confirmed(appointment: Appointment, payment: Payment | None = None) -> None:
    """The patient's confirmation (with the receipt when a payment confirmed it, and the invite), and
    the practitioner's notice unless she booked it herself."""
    patient = appointment.patient
    now = utcnow()
    soon = reminders.cover_due(appointment, now)
    if patient is not None:
        queue_for(patient, "booking_confirmed", subject=f"Booked: {appointment.consultation_type.name}",
                  essential=True, kind="booking_confirmed",
                  dedupe_key=f"confirmed:{appointment.id}:{appointment.reschedule_count}",
                  attachments=[invites.attachment(appointment, invites.REQUEST, now)],
                  **_context(appointment, patient=patient, payment=payment, soon=soon,
                             intake_link=_intake_nudge(appointment)))
    practitioner = appointment.practitioner.user
    if appointment.booked_by_id != practitioner.id:
        queue_for(practitioner, "practitioner_new_booking", essential=False, kind="practitioner_new_booking",
                  subject=f"New booking: {appointment.consultation_type.name}, "
                          f"{_initials(appointment)}", dedupe_key=f"practice:booked:{appointment.id}",
                  **_context(appointment, practitioner=practitioner))


def booking_rescheduled(appointment: Appointment, *, by: User) -> None:
    """After booking.reschedule: the updated invite (same UID, higher SEQUENCE) to the patient, and a
    notice to the practitioner when the patient moved it."""
    patient = appointment.patient
    now = utcnow()
    soon = reminders.cover_due(appointment, now)
    count = appointment.reschedule_count
    if patient is not None:
        queue_for(patient, "booking_rescheduled", subject=f"Moved: {appointment.consultation_type.name}",
                  essential=True, kind="booking_rescheduled", dedupe_key=f"rescheduled:{appointment.id}:{count}",
                  attachments=[invites.attachment(appointment, invites.REQUEST, now)],
                  **_context(appointment, patient=patient, soon=soon, by_practice=by.is_practitioner,
                             intake_link=_intake_nudge(appointment)))
    practitioner = appointment.practitioner.user
    if by.id != practitioner.id:
        queue_for(practitioner, "practitioner_rescheduled", essential=False, kind="practitioner_rescheduled",
                  subject=f"Rescheduled: {appointment.consultation_type.name}, {_initials(appointment)}",
                  dedupe_key=f"practice:rescheduled:{appointment.id}:{count}",
                  **_context(appointment, practitioner=practitioner))


def who_is_told(appointment: Appointment, *, by: User) -> tuple[str | None, str | None]:
    """Who a change made by `by` emails, as the confirmation pages say it: (the patient's address or
    None, the practitioner's address or None). Mirrors booking_rescheduled / booking_cancelled: the
    patient always (essential), the practitioner when the patient made the change and she has not turned
    such notices off."""
    patient = appointment.patient
    practitioner = appointment.practitioner.user
    practice = None if by.id == practitioner.id or practitioner.email_opt_out else practitioner.email
    return (patient.email if patient is not None else None), practice


def booking_cancelled(appointment: Appointment, *, by: User, was_status: str, refund_minor: int) -> None:
    """After a cancellation by either side: the patient learns the refund outcome and gets the
    calendar cancellation; the practitioner is told when the patient cancelled. A hold that was never
    confirmed is released silently (the patient did it, nothing was booked)."""
    if was_status != CONFIRMED:
        return
    patient = appointment.patient
    now = utcnow()
    paid = [p for p in appointment_payments(appointment) if p.paid_at is not None]
    if patient is not None:
        queue_for(patient, "booking_cancelled", subject=f"Cancelled: {appointment.consultation_type.name}",
                  essential=True, kind="booking_cancelled", dedupe_key=f"cancelled:{appointment.id}",
                  attachments=[invites.attachment(appointment, invites.CANCEL, now)],
                  **_context(appointment, patient=patient, by_practice=by.is_practitioner, paid=paid,
                             refund_minor=refund_minor, manual=any(p.provider == "manual" for p in paid)))
    practitioner = appointment.practitioner.user
    if by.id != practitioner.id:
        queue_for(practitioner, "practitioner_cancelled", essential=False, kind="practitioner_cancelled",
                  subject=f"Cancelled by the patient: {appointment.consultation_type.name}, {_initials(appointment)}",
                  dedupe_key=f"practice:cancelled:{appointment.id}",
                  **_context(appointment, practitioner=practitioner, refund_minor=refund_minor))


def payment_receipt(payment: Payment, appointment: Appointment) -> None:
    """A receipt for a payment recorded by the practice (cash, card terminal...). A payment made
    online when booking is receipted in the confirmation itself."""
    patient = appointment.patient
    queue_for(patient, "payment_receipt", subject=f"Receipt: {payment.description}", essential=True,
              kind="payment_receipt", dedupe_key=f"receipt:{payment.id}",
              **_context(appointment, patient=patient, payment=payment))


def refund_issued(refund: Refund | None, appointment: Appointment) -> None:
    """A refund the practitioner issued from the appointment page (a cancellation's refund is told in
    the cancellation email, a late payment's in its own)."""
    patient = appointment.patient
    if refund is None:
        return
    queue_for(patient, "refund_issued", subject=f"Refund issued: {refund.payment.description}", essential=True,
              kind="refund_issued", dedupe_key=f"refund:{refund.id}",
              **_context(appointment, patient=patient, refund=refund, payment=refund.payment))


def _initials(appointment: Appointment) -> str:
    return appointment.patient.initials if appointment.patient else "erased patient"
