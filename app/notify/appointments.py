"""Messages about appointments, queued in the transaction that changes the appointment."""
from __future__ import annotations

from app.models.scheduling import Appointment
from app.notify.mail import queue_email


def booking_confirmed(appointment: Appointment, payment=None) -> None:
    patient = appointment.patient
    if patient is None:
        return
    queue_email(patient.email, "booking_confirmed", subject=f"Booked: {appointment.consultation_type.name}",
                kind="booking_confirmed", dedupe_key=f"confirmed:{appointment.id}:{appointment.reschedule_count}",
                appointment=appointment, payment=payment, patient=patient)
