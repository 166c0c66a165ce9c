"""`flask send-reminders` (cron, every 5 minutes): the appointment reminder and the intake reminders.

- The appointment reminder goes `ConsultationType.reminder_lead_minutes` before the start (24 h by
  default), with the meeting link or address and the visit sensitivities the patient told us.
- The intake reminder goes 72 h and again 24 h before when the visit needs an intake that is not
  complete. When the appointment reminder is due in the same run, it carries the intake nudge and
  the intake reminder is not sent separately: one email, not two.
- Each reminder is claimed by a SentReminder row keyed on (appointment, kind, start), written in
  the transaction that queues the email: a rerun, a second host or a crash between runs never sends
  it twice; a rescheduled appointment is reminded of its new start only; a cancelled one never.
- A reminder whose moment had already passed when the appointment was confirmed or moved is
  "covered" instead: the confirmation says the visit is soon (cover_due below).
- Rows are locked with FOR UPDATE SKIP LOCKED on PostgreSQL, so hosts running at once share the
  work; on SQLite the run holds the write lock (BEGIN IMMEDIATE) while it claims.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.database import is_sqlite, serialised_write
from app.extensions import db
from app.models.notify import SentReminder
from app.models.scheduling import CONFIRMED, Appointment, ConsultationType
from app.notify import invites
from app.notify.intake import intake_is_complete, intake_path, visit_sensitivities
from app.notify.mail import queue_for

APPOINTMENT, INTAKE_72H, INTAKE_24H = "appointment", "intake_72h", "intake_24h"
INTAKE_LEADS = ((INTAKE_24H, timedelta(hours=24)), (INTAKE_72H, timedelta(hours=72)))
BATCH = 50


def due_kinds(appointment: Appointment, now: datetime) -> list[str]:
    """The reminders whose moment has come for a confirmed visit still ahead (newest intake stage only)."""
    if appointment.status != CONFIRMED or appointment.starts_at <= now:
        return []
    ct = appointment.consultation_type
    due = []
    if ct.reminder_lead_minutes > 0 and now >= appointment.starts_at - timedelta(minutes=ct.reminder_lead_minutes):
        due.append(APPOINTMENT)
    if ct.intake_required:
        stage = next((kind for kind, lead in INTAKE_LEADS if now >= appointment.starts_at - lead), None)
        if stage is not None:
            due.append(stage)
    return due


def _claim(appointment: Appointment, kind: str, outcome: str, now: datetime) -> bool:
    """Record the reminder for this start; False if it is recorded already (here or on another host)."""
    exists = db.session.scalar(select(SentReminder.id).where(
        SentReminder.appointment_id == appointment.id, SentReminder.kind == kind,
        SentReminder.starts_at == appointment.starts_at))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(appointment_id=appointment.id, kind=kind, starts_at=appointment.starts_at,
                                        outcome=outcome, created_at=now))
    except IntegrityError:
        return False
    return True


def cover_due(appointment: Appointment, now: datetime) -> bool:
    """Called when an appointment is confirmed or moved: reminders already due are replaced by what
    that email says. Returns True when the visit is inside its reminder lead time ("soon")."""
    due = due_kinds(appointment, now)
    for kind in due:
        _claim(appointment, kind, "covered", now)
    return APPOINTMENT in due


def _window() -> timedelta:
    longest = db.session.scalar(select(func.max(ConsultationType.reminder_lead_minutes))) or 0
    return max(timedelta(minutes=longest), max(lead for _, lead in INTAKE_LEADS))


def _candidates(now: datetime) -> list[int]:
    """Ids of confirmed appointments with a reminder due and not yet recorded (a read, no locks)."""
    rows = db.session.scalars(select(Appointment).where(
        Appointment.status == CONFIRMED, Appointment.starts_at > now, Appointment.starts_at <= now + _window())
        .order_by(Appointment.starts_at)).all()
    wanted = {(a.id, kind, a.starts_at): a.id for a in rows for kind in due_kinds(a, now)}
    if not wanted:
        db.session.commit()
        return []
    recorded = {tuple(row) for row in db.session.execute(
        select(SentReminder.appointment_id, SentReminder.kind, SentReminder.starts_at)
        .where(SentReminder.appointment_id.in_({a.id for a in rows}))).all()}
    db.session.commit()
    return sorted({appointment_id for key, appointment_id in wanted.items() if key not in recorded})


def _locked(ids: list[int]):
    query = (select(Appointment).where(Appointment.id.in_(ids), Appointment.status == CONFIRMED)
             .order_by(Appointment.id).execution_options(populate_existing=True))
    return db.session.scalars(query if is_sqlite() else query.with_for_update(skip_locked=True, of=Appointment)).all()


def send_reminders(now: datetime) -> int:
    """Queue every due reminder once. Returns how many emails were queued (the caller delivers)."""
    ids = _candidates(now)
    queued = 0
    for start in range(0, len(ids), BATCH):
        with serialised_write():
            for appointment in _locked(ids[start:start + BATCH]):
                queued += _remind(appointment, now)
        db.session.commit()
    return queued


def _remind(appointment: Appointment, now: datetime) -> int:
    due = due_kinds(appointment, now)
    intake_link = None
    if any(kind != APPOINTMENT for kind in due) and not intake_is_complete(appointment):
        intake_link = intake_path(appointment)
    queued = 0
    if APPOINTMENT in due and _claim(appointment, APPOINTMENT, "sent", now):
        for kind in due:  # the intake nudge rides along: one email, not two
            if kind != APPOINTMENT:
                _claim(appointment, kind, "covered", now)
        queued += _queue(appointment, APPOINTMENT, intake_link=intake_link)
    for kind in due:
        if kind != APPOINTMENT and intake_link and _claim(appointment, kind, "sent", now):
            queued += _queue(appointment, kind, intake_link=intake_link)
    return queued


def _queue(appointment: Appointment, kind: str, *, intake_link: str | None) -> int:
    patient = appointment.patient
    if patient is None:
        return 0
    ct = appointment.consultation_type
    location = invites.where(appointment)
    context = {"appointment": appointment, "ct": ct, "profile": appointment.practitioner, "patient": patient,
               "location": location, "location_is_link": invites.is_link(location), "intake_link": intake_link}
    key = f"reminder:{kind}:{appointment.id}:{int(appointment.starts_at.timestamp())}"
    if kind == APPOINTMENT:
        context["sensitivities"] = visit_sensitivities(appointment)
        message = queue_for(patient, "appointment_reminder", subject=f"Reminder: {ct.name}", essential=True,
                            kind="appointment_reminder", dedupe_key=key, **context)
    else:
        message = queue_for(patient, "intake_reminder", subject=f"Before your {ct.name}: your health questionnaire",
                            essential=True, kind="intake_reminder", dedupe_key=key, **context)
    return 1 if message is not None else 0

