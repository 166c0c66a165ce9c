"""The intake workflow: saving steps, completion, the 24-hour lock and versions.

Each function runs inside the caller's transaction and raises an ``IntakeError`` the route maps to a
status; the caller commits. Answers are validated by ``app.intake.answers`` before anything is written,
so a refused step changes nothing.

Versions: version 1 of an appointment's intake is edited in place until the lock, 24 hours before the
appointment. From then on a version that existed before the lock, or is finished, is frozen: saving a
change copies it into version n+1 (status "amended" once complete), so the practitioner can see what
she prepared with and what changed later. A version started after the lock stays editable until it is
finished (complete, every step saved), so filling in the intake late does not make a version per step.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.extensions import db
from app.intake.answers import carried_over, missing_required, validate_step
from app.intake.questionnaire import Questionnaire, get_questionnaire, step_of
from app.models.accounts import User
from app.models.audit import record
from app.models.intake import AMENDED, COMPLETED, IN_PROGRESS, IntakeResponse
from app.models.scheduling import Appointment
from app.refusals import Refusal

LOCK_BEFORE = timedelta(hours=24)


class IntakeError(Refusal):
    pass


class StepInvalid(IntakeError):
    """Some answers need another look; ``errors`` is keyed like ``validate_step``'s."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Some answers need another look.")
        self.errors = errors


class IntakeClosed(IntakeError):
    status = 409


@dataclass(frozen=True)
class IntakeState:
    """What the pages need to know about one appointment's intake."""

    appointment: Appointment
    questionnaire: Questionnaire
    current: IntakeResponse | None  # the latest version, if any
    answers: dict  # the latest version's answers, or those carried over from an earlier intake
    carried_over: bool
    lock_at: datetime
    locked: bool  # the lock time has passed
    frozen: bool  # saving now makes a new version
    missing: tuple[str, ...]  # required link_ids without an answer

    @property
    def required(self) -> bool:
        return self.appointment.consultation_type.intake_required

    @property
    def complete(self) -> bool:
        return self.current is not None and self.current.is_complete

    def step_done(self, key: str) -> bool:
        saved = key in (self.current.saved_steps if self.current else ())
        q = self.questionnaire
        return saved and not any(step_of(q, link).key == key for link in self.missing)


def lock_at(appointment: Appointment) -> datetime:
    return appointment.starts_at - LOCK_BEFORE


def is_finished(response: IntakeResponse) -> bool:
    """Complete, with every step saved: the patient has gone through the whole questionnaire."""
    steps = {step.key for step in get_questionnaire(response.questionnaire_version).steps}
    return response.status != IN_PROGRESS and steps <= set(response.saved_steps)


def is_frozen(response: IntakeResponse, appointment: Appointment, now: datetime) -> bool:
    lock = lock_at(appointment)
    if now < lock:
        return False
    return response.created_at < lock or is_finished(response)


def patient_today(patient: User, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(patient.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def versions(appointment: Appointment) -> list[IntakeResponse]:
    return list(db.session.scalars(select(IntakeResponse).where(
        IntakeResponse.appointment_id == appointment.id).order_by(IntakeResponse.version)).all())


def latest(appointment: Appointment) -> IntakeResponse | None:
    return db.session.scalar(select(IntakeResponse).where(IntakeResponse.appointment_id == appointment.id)
                             .order_by(IntakeResponse.version.desc()).limit(1))


def latest_by_appointment(appointment_ids: list[int]) -> dict[int, IntakeResponse]:
    """The latest version of each appointment's intake, in one query (for lists of appointments)."""
    if not appointment_ids:
        return {}
    rows = db.session.scalars(select(IntakeResponse).where(IntakeResponse.appointment_id.in_(appointment_ids))
                              .order_by(IntakeResponse.version)).all()
    # The highest version comes last and stays. (Every row has an appointment: the query asked for theirs.)
    return {row.appointment_id: row for row in rows if row.appointment_id is not None}


def latest_for_patient(patient_id: int) -> IntakeResponse | None:
    """The patient's most recent version of any intake (what the practitioner's summary shows)."""
    return db.session.scalar(select(IntakeResponse).where(IntakeResponse.patient_id == patient_id)
                             .order_by(IntakeResponse.updated_at.desc(), IntakeResponse.id.desc()).limit(1))


def patient_responses(patient_id: int) -> list[IntakeResponse]:
    return list(db.session.scalars(select(IntakeResponse).where(IntakeResponse.patient_id == patient_id)
                                   .order_by(IntakeResponse.created_at, IntakeResponse.version)).all())


def _carry_over(appointment: Appointment) -> dict:
    """A new intake starts from the patient's last answers, if she has any."""
    previous = db.session.scalar(select(IntakeResponse).where(
        IntakeResponse.patient_id == appointment.patient_id, IntakeResponse.appointment_id != appointment.id)
        .order_by(IntakeResponse.updated_at.desc(), IntakeResponse.id.desc()).limit(1))
    return carried_over(get_questionnaire(), previous.answers) if previous else {}


def state(appointment: Appointment, now: datetime) -> IntakeState:
    current = latest(appointment)
    if current is not None:
        q = get_questionnaire(current.questionnaire_version)
        answers, carried = dict(current.answers), False
    else:
        q = get_questionnaire()
        answers = _carry_over(appointment)
        carried = bool(answers)
    return IntakeState(
        appointment=appointment, questionnaire=q, current=current, answers=answers, carried_over=carried,
        lock_at=lock_at(appointment), locked=now >= lock_at(appointment),
        frozen=current is not None and is_frozen(current, appointment, now),
        missing=tuple(missing_required(q, answers)),
    )


def _open_for_answers(appointment: Appointment, now: datetime) -> None:
    if not appointment.is_blocking(now):
        raise IntakeClosed("This appointment is no longer active, so its intake cannot be changed.")
    if appointment.ends_at <= now:
        raise IntakeClosed("This appointment has taken place, so its intake can no longer be changed. "
                           "Send a symptom check-in instead.")


def save_step(appointment: Appointment, step_key: str, raw, *, now: datetime) -> IntakeResponse:
    """Validate and save one step. Raises StepInvalid (nothing written) or IntakeClosed."""
    _open_for_answers(appointment, now)
    st = state(appointment, now)
    q = st.questionnaire
    step = q.step(step_key)  # KeyError for an unknown step: the route answers 404
    patient = appointment.patient
    assert patient is not None  # callers pass the patient's own appointment (the route, the demo seed)
    clean, errors = validate_step(q, step_key, raw, today=patient_today(patient, now),
                                  saved=st.answers)
    if errors:
        raise StepInvalid(errors)
    own = {it.link_id for it in step.items}
    answers = {k: v for k, v in st.answers.items() if k not in own} | clean
    response = st.current
    if response is None or st.frozen:
        response = IntakeResponse(
            patient_id=appointment.patient_id, appointment_id=appointment.id,
            version=response.version + 1 if response else 1, questionnaire_version=q.version,
            saved_steps=list(response.saved_steps) if response else [], created_at=now)
        db.session.add(response)
    response.answers = answers
    response.saved_steps = sorted(set(response.saved_steps) | {step_key})
    response.updated_at = now
    _set_status(response, q, now)
    db.session.flush()
    record("update", "intake", response.id, actor=appointment.patient_id, patient_id=appointment.patient_id,
           detail={"step": step_key, "version": response.version})
    return response


def _set_status(response: IntakeResponse, q: Questionnaire, now: datetime) -> None:
    if missing_required(q, response.answers):
        response.status = IN_PROGRESS
        return
    response.status = COMPLETED if response.version == 1 else AMENDED
    response.completed_at = response.completed_at or now


def needs_intake(appointment: Appointment, now: datetime) -> bool:
    """An upcoming appointment whose type asks for the intake, without a complete one yet."""
    if not asks_for_intake(appointment, now):
        return False
    current = latest(appointment)
    return current is None or not current.is_complete


def asks_for_intake(appointment: Appointment, now: datetime) -> bool:
    """An upcoming appointment whose type asks for the intake (complete or not): no query."""
    return (appointment.consultation_type.intake_required and appointment.is_blocking(now)
            and appointment.starts_at > now)


def needing_intake(appointments: list[Appointment], now: datetime) -> list[Appointment]:
    """needs_intake for a list, in one query whatever its length."""
    asking = [a for a in appointments if asks_for_intake(a, now)]
    current = latest_by_appointment([a.id for a in asking])
    return [a for a in asking if a.id not in current or not current[a.id].is_complete]


def changed_items(older: IntakeResponse, newer: IntakeResponse) -> list[str]:
    """link_ids whose answers differ between two versions (for the practitioner's history)."""
    keys = set(older.answers) | set(newer.answers)
    q = get_questionnaire(newer.questionnaire_version)
    order = {it.link_id: n for n, it in enumerate(_iter(q))}
    return sorted((k for k in keys if older.answers.get(k) != newer.answers.get(k)),
                  key=lambda k: order.get(k, len(order)))


def _iter(q: Questionnaire):
    for step in q.steps:
        yield from step.items
