"""Scoped reads of intake data: a patient reads her own; a practitioner reads the patients who have (or had)
an appointment with her. Anything else is None, which the routes answer with 404 (no probing)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from app.clock import utcnow
from app.extensions import db
from app.intake.answers import enabled_answers
from app.intake.practitioner_flags import Flag, practitioner_flags
from app.intake.questionnaire import get_questionnaire
from app.intake.service import patient_today
from app.models.accounts import ROLE_PATIENT, User
from app.models.intake import IntakeResponse, LabUpload
from app.models.scheduling import BLOCKING, COMPLETED, CONFIRMED, EXPIRED, Appointment
from app.scheduling.profiles import profile_for


@dataclass(frozen=True)
class PatientRow:
    patient: User
    next_start: datetime | None  # her next appointment (confirmed or held for payment)
    last_start: datetime | None  # her last visit: a confirmed or completed appointment that has begun
    flags: tuple[Flag, ...]  # from her latest intake (app.intake.practitioner_flags), what the summary shows first
    intake_id: int | None  # that intake, whose reading the list audits


@dataclass(frozen=True)
class PatientPage:
    rows: list[PatientRow]
    page: int
    has_next: bool


PATIENTS_PER_PAGE = 50
SEARCH_MAX = 100  # characters of a search


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


def patients_of(practitioner: User, now: datetime, *, search: str = "", page: int = 1,
                per_page: int = PATIENTS_PER_PAGE) -> PatientPage:
    """A page of the practitioner's patients, by name, whose name or email contains `search` (any case),
    each with her next appointment, last visit and the flags of her latest intake: one query, each
    patient's figures read through the (patient_id, starts_at) and (patient_id, created_at) indexes."""
    profile = profile_for(practitioner)
    theirs = (Appointment.patient_id == User.id, Appointment.practitioner_id == profile.id)
    next_start = (select(func.min(Appointment.starts_at))
                  .where(*theirs, Appointment.status.in_(BLOCKING), Appointment.starts_at > now)
                  .correlate(User).scalar_subquery())
    last_start = (select(func.max(Appointment.starts_at))
                  .where(*theirs, Appointment.status.in_((CONFIRMED, COMPLETED)), Appointment.starts_at <= now)
                  .correlate(User).scalar_subquery())
    latest = aliased(IntakeResponse)
    latest_id = (select(latest.id).where(latest.patient_id == User.id)
                 .order_by(latest.updated_at.desc(), latest.id.desc()).limit(1).correlate(User).scalar_subquery())
    query = (select(User, next_start.label("next_start"), last_start.label("last_start"),
                    IntakeResponse.id.label("intake_id"), IntakeResponse.questionnaire_version,
                    IntakeResponse.answers)
             .outerjoin(IntakeResponse, IntakeResponse.id == latest_id)
             .where(User.role == ROLE_PATIENT, _treats(practitioner)))
    search = search.strip()[:SEARCH_MAX]
    if search:
        query = query.where(or_(User.full_name.icontains(search, autoescape=True),
                                User.email.icontains(search, autoescape=True)))
    page = max(page, 1)
    rows = db.session.execute(query.order_by(User.full_name, User.id)
                              .limit(per_page + 1).offset((page - 1) * per_page)).all()
    return PatientPage(rows=[PatientRow(row.User, _aware(row.next_start), _aware(row.last_start),
                                        _flags(row.User, row.questionnaire_version, row.answers), row.intake_id)
                             for row in rows[:per_page]], page=page, has_next=len(rows) > per_page)


def _flags(patient: User, version: str | None, answers: dict | None) -> tuple[Flag, ...]:
    """Her flags, her age counted on her own calendar day (as on her pages)."""
    if version is None or answers is None:
        return ()
    q = get_questionnaire(version)
    return practitioner_flags(enabled_answers(q, answers), patient_today(patient, utcnow()))


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
    if response.patient_id is None:  # a retained record: only through /practice/retained
        return None
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
