"""The clinical record a practitioner must keep after a patient deletes her account, and its end.

Why it is kept (README, Privacy): the right to erasure yields to a legal obligation and to health care
(UK and EU GDPR Art. 17(3)(b) and (c)), and a practitioner must keep her clinical records:
- England: adults 8 years after the last contact; children until their 25th birthday, or their 26th if
  they were 17 at the last contact (NHS England, Records Management Code of Practice 2021, Appendix II,
  retention schedule). 8 years is the default of `PractitionerProfile.retention_years`.
- US states commonly 7-10 years, tax records 6-7 years (UK HMRC: 6 years; US IRS: up to 7): she sets
  the years for her own law (RETENTION_YEARS_MIN..MAX) at /practice/retained.

The clinical record is what she relied on for care and her books: intake answers and check-ins, lab
result files (rows and bytes), medicine plans, appointments with their consultation notes and addenda,
payments and refunds. It is kept only when she was a patient of the practice (an appointment that was
booked, not a lapsed hold, or a payment made); otherwise there is no record and everything goes at once.

Erasure moves those rows from the account to one `RetainedPatient` row (who she was, for the practitioner
only); the purge (app/jobs.py, nightly) deletes the record and its files when `keep_until` passes, and the
practitioner may erase one early with a typed reason (both audited).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, func, select, update

from app import storage
from app.database import rowcount
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.billing import Payment, Refund
from app.models.diary import MedicationPlan
from app.models.intake import IntakeResponse, LabUpload, SymptomCheckIn
from app.models.notes import ConsultationNote
from app.models.retention import ADULT, CHILD, RetainedPatient
from app.models.scheduling import COMPLETED, CONFIRMED, EXPIRED, Appointment, PractitionerProfile
from app.refusals import Refusal

DEFAULT_YEARS = 8  # NHS Records Management Code of Practice 2021: adults, 8 years after the last contact
RETENTION_YEARS_MIN, RETENTION_YEARS_MAX = 1, 30
ADULT_AGE = 18
CHILD_UNTIL_BIRTHDAY = 25  # NHS Code 2021: a child's record until the 25th birthday ...
SEVENTEEN_UNTIL_BIRTHDAY = 26  # ... or the 26th if the young person was 17 at the last contact
REASON_MIN, REASON_MAX = 10, 500

# The health-data tables owned by `patient_id` or, once she is erased, by `retained_patient_id`.
HEALTH_TABLES = (IntakeResponse, SymptomCheckIn, LabUpload, MedicationPlan)


class RetentionError(Refusal):
    pass


# --- the rule (pure) -----------------------------------------------------------------------------------

def add_years(moment: datetime, years: int) -> datetime:
    """The same instant `years` later; 29 February becomes 28 February in a year without one."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def birthday(born: date, age: int) -> date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return born.replace(year=born.year + age, day=28)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def keep_until(last_contact: datetime, years: int, date_of_birth: date | None) -> tuple[datetime, str]:
    """(until when, "adult" or "child"): `years` after the last contact; for someone under 18 then, until her
    25th birthday (26th if she was 17) when that is later. A birthday ends at its start, in UTC."""
    adult = add_years(last_contact, years)
    if date_of_birth is None or date_of_birth > last_contact.date():
        return adult, ADULT
    age = age_on(date_of_birth, last_contact.date())
    if age >= ADULT_AGE:
        return adult, ADULT
    until_age = SEVENTEEN_UNTIL_BIRTHDAY if age == ADULT_AGE - 1 else CHILD_UNTIL_BIRTHDAY
    child = datetime.combine(birthday(date_of_birth, until_age), datetime.min.time(), tzinfo=last_contact.tzinfo)
    return (child, CHILD) if child > adult else (adult, ADULT)


# --- what an erasure would keep --------------------------------------------------------------------------

@dataclass
class Plan:
    """What deleting the account keeps, and until when (the delete page shows it; erase() applies it)."""
    kept: bool
    practitioner: PractitionerProfile | None = None
    last_visit_at: datetime | None = None
    date_of_birth: date | None = None
    years: int = DEFAULT_YEARS
    keep_until: datetime | None = None
    basis: str = ADULT
    counts: dict[str, int] = field(default_factory=dict)


def plan_for(patient: User, now: datetime) -> Plan:
    booked = select(Appointment).where(Appointment.patient_id == patient.id, Appointment.status != EXPIRED)
    latest = db.session.scalar(booked.order_by(Appointment.starts_at.desc()).limit(1))
    paid = db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.patient_id == patient.id, Payment.paid_at.is_not(None)))
    if latest is None and not paid:
        return Plan(kept=False)
    practitioner = latest.practitioner if latest is not None else db.session.scalar(
        select(PractitionerProfile).order_by(PractitionerProfile.id).limit(1))
    years = practitioner.retention_years if practitioner is not None else DEFAULT_YEARS
    last_visit = db.session.scalar(select(func.max(Appointment.starts_at)).where(
        Appointment.patient_id == patient.id, Appointment.status.in_((CONFIRMED, COMPLETED)),
        Appointment.starts_at <= now))
    born = _date_of_birth(patient)
    until, basis = keep_until(last_visit or now, years, born)
    return Plan(kept=True, practitioner=practitioner, last_visit_at=last_visit, date_of_birth=born, years=years,
                keep_until=until, basis=basis, counts=_counts(Appointment.patient_id == patient.id, patient.id))


def _date_of_birth(patient: User) -> date | None:
    """From her latest intake that gives one (answers are keyed by the questionnaire's item ids)."""
    answers = db.session.scalars(select(IntakeResponse.answers).where(IntakeResponse.patient_id == patient.id)
                                 .order_by(IntakeResponse.updated_at.desc(), IntakeResponse.id.desc())).all()
    for given in answers:
        value = given.get("date_of_birth") if isinstance(given, dict) else None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    return None


def _counts(appointment_owner, patient_id: int | None = None, retained_id: int | None = None) -> dict[str, int]:
    def owned(model):
        column = model.patient_id if patient_id is not None else model.retained_patient_id
        return db.session.scalar(select(func.count()).select_from(model).where(
            column == (patient_id if patient_id is not None else retained_id))) or 0

    appointments = select(Appointment.id).where(appointment_owner)
    return {
        "intake_responses": owned(IntakeResponse), "check_ins": owned(SymptomCheckIn),
        "lab_files": owned(LabUpload), "medication_plans": owned(MedicationPlan),
        "appointments": owned(Appointment),
        "consultation_notes": db.session.scalar(select(func.count()).select_from(ConsultationNote).where(
            ConsultationNote.appointment_id.in_(appointments))) or 0,
        "payments": owned(Payment),
    }


# --- erasure: move the record ------------------------------------------------------------------------

def retain(patient: User, plan: Plan, now: datetime) -> RetainedPatient:
    """Move her clinical record from the account to a new retained record (the caller's transaction)."""
    assert plan.kept and plan.keep_until is not None
    practitioner_id = plan.practitioner.id if plan.practitioner else None
    kept = RetainedPatient(former_user_id=patient.id, practitioner_id=practitioner_id,
                           full_name=patient.full_name, email=patient.email, date_of_birth=plan.date_of_birth,
                           erased_at=now, last_visit_at=plan.last_visit_at, retention_years=plan.years,
                           basis=plan.basis, keep_until=plan.keep_until)
    db.session.add(kept)
    db.session.flush()
    for model in (*HEALTH_TABLES, Appointment, Payment):
        db.session.execute(update(model).where(model.patient_id == patient.id)
                           .values(retained_patient_id=kept.id, patient_id=None)
                           .execution_options(synchronize_session=False))
    db.session.execute(update(Appointment).where(Appointment.booked_by_id == patient.id).values(booked_by_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Appointment).where(Appointment.cancelled_by_id == patient.id)
                       .values(cancelled_by_id=None).execution_options(synchronize_session=False))
    db.session.execute(update(Refund).where(Refund.created_by_id == patient.id).values(created_by_id=None)
                       .execution_options(synchronize_session=False))
    return kept


# --- the practitioner's view -------------------------------------------------------------------------

def records_of(profile: PractitionerProfile) -> list[RetainedPatient]:
    return list(db.session.scalars(select(RetainedPatient).where(RetainedPatient.practitioner_id == profile.id)
                                   .order_by(RetainedPatient.full_name, RetainedPatient.id)).all())


def record_of(profile: PractitionerProfile, record_id: int) -> RetainedPatient | None:
    return db.session.scalar(select(RetainedPatient).where(RetainedPatient.id == record_id,
                                                           RetainedPatient.practitioner_id == profile.id))


@dataclass
class Contents:
    intakes: list[IntakeResponse]
    check_ins: list[SymptomCheckIn]
    uploads: list[LabUpload]
    plans: list[MedicationPlan]
    appointments: list[Appointment]
    notes: dict[int, ConsultationNote]  # by appointment id
    payments: list[Payment]


def contents(kept: RetainedPatient) -> Contents:
    def owned(model, order):
        return list(db.session.scalars(select(model).where(model.retained_patient_id == kept.id).order_by(order)).all())

    appointments = owned(Appointment, Appointment.starts_at)
    notes = db.session.scalars(select(ConsultationNote).where(
        ConsultationNote.appointment_id.in_([a.id for a in appointments]))).all() if appointments else []
    return Contents(
        intakes=owned(IntakeResponse, IntakeResponse.created_at),
        check_ins=owned(SymptomCheckIn, SymptomCheckIn.created_at),
        uploads=owned(LabUpload, LabUpload.created_at), plans=owned(MedicationPlan, MedicationPlan.created_at),
        appointments=appointments, notes={n.appointment_id: n for n in notes},
        payments=owned(Payment, Payment.created_at))


def upload_of(kept: RetainedPatient, upload_id: int) -> LabUpload | None:
    return db.session.scalar(select(LabUpload).where(LabUpload.id == upload_id,
                                                     LabUpload.retained_patient_id == kept.id))


def counts(kept: RetainedPatient) -> dict[str, int]:
    return _counts(Appointment.retained_patient_id == kept.id, retained_id=kept.id)


def set_years(profile: PractitionerProfile, raw: str) -> int:
    try:
        years = int((raw or "").strip())
    except ValueError:
        raise RetentionError("Enter the number of years as a whole number.") from None
    if not RETENTION_YEARS_MIN <= years <= RETENTION_YEARS_MAX:
        raise RetentionError(f"Enter between {RETENTION_YEARS_MIN} and {RETENTION_YEARS_MAX} years.")
    profile.retention_years = years
    return years


# --- the end of a record -----------------------------------------------------------------------------

def destroy(kept: RetainedPatient) -> dict[str, int]:
    """Delete a retained record and everything kept under it, files' bytes included (caller's transaction)."""
    counts: dict[str, int] = {}
    for key in db.session.scalars(select(LabUpload.stored_name).where(LabUpload.retained_patient_id == kept.id)).all():
        storage.files().delete(key)
    appointment_ids = select(Appointment.id).where(Appointment.retained_patient_id == kept.id)
    counts["consultation_notes"] = rowcount(db.session.execute(   # their addenda go with them (CASCADE)
        delete(ConsultationNote).where(ConsultationNote.appointment_id.in_(appointment_ids))))
    for name, model in (("intake_responses", IntakeResponse), ("check_ins", SymptomCheckIn),
                        ("lab_files", LabUpload), ("medication_plans", MedicationPlan)):
        counts[name] = rowcount(db.session.execute(delete(model).where(model.retained_patient_id == kept.id)))
    counts["appointments"] = rowcount(db.session.execute(
        delete(Appointment).where(Appointment.retained_patient_id == kept.id)))
    payment_ids = select(Payment.id).where(Payment.retained_patient_id == kept.id)
    counts["refunds"] = rowcount(db.session.execute(delete(Refund).where(Refund.payment_id.in_(payment_ids))))
    counts["payments"] = rowcount(db.session.execute(delete(Payment).where(Payment.retained_patient_id == kept.id)))
    db.session.execute(delete(RetainedPatient).where(RetainedPatient.id == kept.id))
    return counts


def purge_due(now: datetime) -> int:
    """Delete every retained record whose keep_until has passed, one at a time (each audited). Idempotent:
    a record already purged is no longer found. The caller commits."""
    due = db.session.scalars(select(RetainedPatient).where(RetainedPatient.keep_until <= now)
                             .order_by(RetainedPatient.id)).all()
    for kept in due:
        done = destroy(kept)
        record("purge", "retained_record", kept.id, actor=None, patient_id=kept.former_user_id,
               detail={"keep_until": kept.keep_until.isoformat(), **done})
    return len(due)


def erase_early(kept: RetainedPatient, reason: str, *, by: User) -> dict[str, int]:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise RetentionError(f"Say why the record may be erased before its retention ends "
                             f"(at least {REASON_MIN} characters).")
    if len(reason) > REASON_MAX:
        raise RetentionError(f"Keep the reason to {REASON_MAX} characters.")
    done = destroy(kept)
    record("erase_early", "retained_record", kept.id, actor=by, patient_id=kept.former_user_id,
           detail={"reason": reason, "keep_until": kept.keep_until.isoformat(), **done})
    return done
