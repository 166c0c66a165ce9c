"""Erasure (GDPR Art. 17): a patient deletes her account, in one transaction.

What happens, in order:
1. Her future appointments are cancelled under the usual policy (`bookings.cancel_in_transaction`: the refund the
   practice's notice rules give, and the practitioner is told the time is free again).
2. At once: her diary (entries, flares, tryptase, medicine logs and preferences), her course enrolments and
   lesson progress, her waitlist places, the emails addressed to her, her sign-in codes, her sessions (every
   device is signed out) and the account itself.
3. Kept: her clinical record, which the practitioner must keep (app/privacy/retention.py: intake answers and
   check-ins, lab result files, medicine plans, appointments with their notes, payments and refunds), moves
   from the account to a retained record with her name, email and date of birth, visible to the practitioner
   only, until the retention period the practitioner set ends (then the worker purges it). When she never was
   a patient (no appointment booked, nothing paid) nothing is kept: her health data is deleted with the rest,
   as before, and any unpaid booking rows lose the link to her.
4. An "erase" audit record keeps her number (audit records hold ids only), and the user row is deleted.

Deleting rather than anonymising the user row: a placeholder row would keep an account (and its email
address) that nobody may use. The kept tables point at the retained record instead; the health-data ones
have no ON DELETE CASCADE from users any more, so a users row that still owns one cannot be deleted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from app import bookings, storage
from app.accounts.passwords import verify_password
from app.billing import refunds
from app.database import rowcount
from app.diary.export import erase_diary
from app.extensions import db
from app.models.accounts import User, VerificationCode
from app.models.audit import record
from app.models.billing import PURPOSE_APPOINTMENT, PURPOSE_COURSE, Payment
from app.models.courses import Course, Enrollment, LessonProgress
from app.models.diary import MedicationPlan
from app.models.intake import IntakeResponse, LabUpload, SymptomCheckIn
from app.models.notes import ConsultationNote
from app.models.notify import OutboxMessage
from app.models.scheduling import BLOCKING, Appointment
from app.privacy import audit_log, retention
from app.refusals import Refusal

# Refund reasons the app writes itself: they say nothing about the patient, so they stay.
SYSTEM_REFUND_REASONS = frozenset({
    "Cancelled by the patient", "Cancelled by the practitioner", "Refunded in Stripe", "Duplicate payment",
    "Refund by the practice", "Late payment for a time no longer available", "The course is no longer available",
    "Already enrolled in this course: the payment was not needed", "The account that paid no longer exists",
})
NEUTRAL_REFUND_REASON = "Refund by the practice"


class ErasureError(Refusal):
    pass


class WrongPassword(ErasureError):
    pass


@dataclass(frozen=True)
class Cancellation:
    appointment: Appointment
    refund_minor: int


@dataclass
class Erasure:
    patient_id: int
    cancelled: list[Cancellation] = field(default_factory=list)
    retained_id: int | None = None  # the retained record her clinical record is kept under, if any

    def refunds_by_currency(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for c in self.cancelled:
            if c.refund_minor:
                currency = c.appointment.currency
                totals[currency] = totals.get(currency, 0) + c.refund_minor
        return totals


def future_appointments(patient: User, now: datetime) -> list[Appointment]:
    return list(db.session.scalars(select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status.in_(BLOCKING), Appointment.starts_at > now)
        .order_by(Appointment.starts_at)).all())


def refund_preview(patient: User, now: datetime) -> list[Cancellation]:
    """What erasing now would cancel and what the policy would refund for each (reads only)."""
    preview = []
    for appointment in future_appointments(patient, now):
        amount = refunds.cancellation_refund(appointment, refunds.paid_payment_for(appointment), by=patient, now=now)
        preview.append(Cancellation(appointment, amount))
    return preview


def erase(patient: User, password: str, *, now: datetime) -> Erasure:
    """Erase in the caller's transaction. Raises WrongPassword (nothing written). After the commit,
    call `after_erasure` for the refunds and the files."""
    if not patient.is_patient:
        raise ErasureError("Only a patient's account can be deleted here.")
    if not password or not verify_password(patient.password_hash, password):
        raise WrongPassword("Your password is not correct. Nothing has been deleted.")
    erasure = Erasure(patient.id)
    plan = retention.plan_for(patient, now)  # before the cancellations: a future visit is not a visit
    for appointment in future_appointments(patient, now):
        refunded = bookings.cancel_in_transaction(appointment, by=patient, now=now)
        erasure.cancelled.append(Cancellation(appointment, refunded))
    db.session.flush()
    counts = _delete_learning(patient)
    counts |= erase_diary(patient, keep_plans=plan.kept)
    counts["emails_deleted"] = _delete_mail_to(patient)
    counts["sign_in_codes"] = _delete(VerificationCode, patient, column=VerificationCode.email)
    counts["audit_texts_erased"] = audit_log.redact_free_text(patient.id)
    detail: dict = {"by": "patient", "appointments_cancelled": len(erasure.cancelled),
                    "refunds_minor": erasure.refunds_by_currency()}
    if plan.kept:
        kept = retention.retain(patient, plan, now)
        erasure.retained_id = kept.id
        detail |= {"retained_record": kept.id, "keep_until": kept.keep_until.isoformat(),
                   "kept": retention.counts(kept)}
    else:
        counts |= _delete_health_data(patient)
        counts["appointments_detached"] = _detach_appointments(patient)
        counts["payments_detached"] = _detach_payments(patient)
    record("erase", "account", patient.id, actor=None, patient_id=patient.id, detail=detail | counts)
    db.session.delete(patient)
    db.session.flush()
    return erasure


def _delete_health_data(patient: User) -> dict[str, int]:
    """No clinical record to keep (she never was a patient): her health data goes with the account."""
    for key in db.session.scalars(select(LabUpload.stored_name).where(LabUpload.patient_id == patient.id)).all():
        storage.files().delete(key)  # the bytes go in this transaction, with the rows
    notes = db.session.execute(delete(ConsultationNote).where(ConsultationNote.appointment_id.in_(
        select(Appointment.id).where(Appointment.patient_id == patient.id))))
    return {"intake_responses": _delete(IntakeResponse, patient), "check_ins": _delete(SymptomCheckIn, patient),
            "lab_files": _delete(LabUpload, patient), "medication_plans": _delete(MedicationPlan, patient),
            "consultation_notes": rowcount(notes)}


def _delete_learning(patient: User) -> dict[str, int]:
    return {"lessons_progress": _delete(LessonProgress, patient), "enrolments": _delete(Enrollment, patient)}


def _delete(model, patient: User, column=None) -> int:
    if column is not None:
        result = db.session.execute(delete(model).where(column == patient.email))
    else:
        result = db.session.execute(delete(model).where(model.patient_id == patient.id))
    return rowcount(result)


def _detach_appointments(patient: User) -> int:
    rows = db.session.scalars(select(Appointment).where(Appointment.patient_id == patient.id)).all()
    for appointment in rows:
        appointment.patient = None
        appointment.patient_note = ""
        appointment.practitioner_notes = ""
        appointment.cancel_reason = ""
        appointment.patient_timezone = appointment.practitioner.timezone  # hers said where she lives
        if appointment.booked_by_id == patient.id:
            appointment.booked_by_id = None
        if appointment.cancelled_by_id == patient.id:
            appointment.cancelled_by_id = None
    return len(rows)


def _detach_payments(patient: User) -> int:
    rows = db.session.scalars(select(Payment).options(selectinload(Payment.refunds))
                              .where(Payment.patient_id == patient.id)).all()
    for payment in rows:
        payment.patient = None
        payment.description = _what_was_bought(payment)
        for refund in payment.refunds:
            if refund.reason and refund.reason not in SYSTEM_REFUND_REASONS:
                refund.reason = NEUTRAL_REFUND_REASON
            if refund.created_by_id == patient.id:
                refund.created_by_id = None
    return len(rows)


def _what_was_bought(payment: Payment) -> str:
    if payment.purpose == PURPOSE_APPOINTMENT:
        appointment = db.session.get(Appointment, payment.purpose_id)
        if appointment is not None:
            return appointment.consultation_type.name[:200]
    if payment.purpose == PURPOSE_COURSE:
        course = db.session.get(Course, payment.purpose_id)
        if course is not None:
            return course.title[:200]
    return payment.purpose


def _delete_mail_to(patient: User) -> int:
    db.session.flush()  # messages queued by the cancellations above are in the outbox by now
    result = db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to) == patient.email.lower()))
    return rowcount(result)


def after_erasure(erasure: Erasure) -> None:
    """Once committed: send the refunds to Stripe (retried by the job if it is down), and leave no copy
    of the erased files in the database's own files (app/storage.py)."""
    for cancellation in erasure.cancelled:
        bookings.after_cancel(cancellation.appointment)
    storage.forget_deleted()
