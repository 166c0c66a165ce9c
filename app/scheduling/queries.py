"""Scoped reads of appointments: a patient's own, and the practitioner's agenda."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.accounts import User
from app.models.scheduling import BLOCKING, COMPLETED, CONFIRMED, Appointment
from app.scheduling.profiles import profile_for


def patient_appointments(patient: User, now: datetime) -> tuple[list[Appointment], list[Appointment]]:
    """(upcoming, past) for one patient; one query."""
    rows = db.session.scalars(
        select(Appointment).options(joinedload(Appointment.consultation_type))
        .where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at)).all()
    upcoming = [a for a in rows if a.ends_at > now and a.status in BLOCKING and a.is_blocking(now)]
    past = [a for a in reversed(rows) if a not in upcoming]
    return upcoming, past


def appointment_for(user: User, appointment_id: int) -> Appointment | None:
    """The appointment if `user` may see it (its patient, or its practitioner), else None."""
    query = select(Appointment).options(joinedload(Appointment.consultation_type), joinedload(Appointment.patient)) \
        .where(Appointment.id == appointment_id)
    if user.is_patient:
        query = query.where(Appointment.patient_id == user.id)
    elif user.is_practitioner:
        query = query.where(Appointment.practitioner_id == profile_for(user).id)
    else:
        return None
    return db.session.scalar(query)


def agenda(practitioner: User, start: datetime, end: datetime) -> list[Appointment]:
    """Appointments (not expired holds) starting in [start, end), with patient and type; one query."""
    profile = profile_for(practitioner)
    return list(db.session.scalars(
        select(Appointment).options(joinedload(Appointment.consultation_type), joinedload(Appointment.patient))
        .where(Appointment.practitioner_id == profile.id, Appointment.starts_at >= start, Appointment.starts_at < end,
               Appointment.status != "expired")
        .order_by(Appointment.starts_at)).all())


def last_visit_before(appointment: Appointment, moment: datetime) -> datetime | None:
    """When the patient's last visit with this practitioner began, of those that began before ``moment``
    and before ``appointment`` itself (a confirmed or completed visit, not a cancelled one or a hold)."""
    if appointment.patient_id is None:
        return None
    return db.session.scalar(
        select(Appointment.starts_at)
        .where(Appointment.patient_id == appointment.patient_id,
               Appointment.practitioner_id == appointment.practitioner_id,
               Appointment.id != appointment.id,
               Appointment.status.in_((CONFIRMED, COMPLETED)),
               Appointment.starts_at < min(moment, appointment.starts_at))
        .order_by(Appointment.starts_at.desc()).limit(1))
