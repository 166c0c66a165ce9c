"""Scoped reads of intake data: a patient reads her own; a practitioner reads the patients who have (or had)
an appointment with her. Anything else is None, which the routes answer with 404 (no probing)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import ROLE_PATIENT, User
from app.models.intake import IntakeResponse, LabUpload
from app.models.scheduling import BLOCKING, EXPIRED, Appointment
from app.scheduling.profiles import profile_for


@dataclass(frozen=True)
class PatientRow:
    patient: User
    appointments: int
    next_start: datetime | None
    last_start: datetime | None


def _treats(practitioner: User):
    """A condition: the patient has an appointment (not a lapsed hold) with this practitioner."""
    profile = profile_for(practitioner)
    return (select(Appointment.id).where(Appointment.patient_id == User.id,
                                         Appointment.practitioner_id == profile.id,
                                         Appointment.status != EXPIRED).exists())


def patient_for_practitioner(practitioner: User, patient_id: int) -> User | None:
    if not practitioner.is_practitioner:
        return None
    return db.session.scalar(select(User).where(User.id == patient_id, User.role == ROLE_PATIENT,
                                                _treats(practitioner)))


def patients_of(practitioner: User, now: datetime) -> list[PatientRow]:
    """The practitioner's patients with their appointment counts and next visit; two queries."""
    profile = profile_for(practitioner)
    patients = db.session.scalars(select(User).where(User.role == ROLE_PATIENT, _treats(practitioner))
                                  .order_by(User.full_name, User.id)).all()
    stats = {row.patient_id: row for row in db.session.execute(
        select(Appointment.patient_id, func.count().label("total"),
               func.min(Appointment.starts_at).filter(Appointment.starts_at > now,
                                                      Appointment.status.in_(BLOCKING)).label("next_start"),
               func.max(Appointment.starts_at).filter(Appointment.starts_at <= now).label("last_start"))
        .where(Appointment.practitioner_id == profile.id, Appointment.status != EXPIRED)
        .group_by(Appointment.patient_id))}
    return [PatientRow(p, stats[p.id].total if p.id in stats else 0,
                       _aware(stats[p.id].next_start) if p.id in stats else None,
                       _aware(stats[p.id].last_start) if p.id in stats else None) for p in patients]


def _aware(value) -> datetime | None:
    # Aggregates bypass the UTCDateTime column type, so SQLite hands back naive text or datetimes.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def response_for(user: User, response_id: int) -> IntakeResponse | None:
    response = db.session.get(IntakeResponse, response_id)
    if response is None or not user.is_authenticated:
        return None
    if user.is_patient:
        return response if response.patient_id == user.id else None
    if patient_for_practitioner(user, response.patient_id) is not None:
        return response
    return None


def own_upload(patient: User, upload_id: int) -> LabUpload | None:
    return db.session.scalar(select(LabUpload).where(LabUpload.id == upload_id, LabUpload.patient_id == patient.id))


def patient_appointments(practitioner: User, patient_id: int) -> list[Appointment]:
    """The patient's appointments with this practitioner, latest first (lapsed holds left out)."""
    return list(db.session.scalars(select(Appointment).where(
        Appointment.patient_id == patient_id, Appointment.practitioner_id == profile_for(practitioner).id,
        Appointment.status != EXPIRED).order_by(Appointment.starts_at.desc())).all())
