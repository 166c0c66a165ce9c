"""Diary emails, all through the outbox: the opt-in evening nudge to log, the baseline tryptase reminder
24 hours after a flare ends, and the practitioner's medication-safety alert.

`flask send-diary-reminders` (every 15 minutes, or as a task) queues what is due. Each message has a
dedupe key (one nudge per patient per local date, one baseline reminder per flare), so a job run twice,
or on two hosts, sends each once.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.diary import medication
from app.diary.entries import zone_of
from app.extensions import db
from app.intake import service as intake_service
from app.models.accounts import User
from app.models.diary import DiaryEntry, DiaryPreferences, Flare
from app.models.scheduling import Appointment, PractitionerProfile
from app.notify.mail import queue_for

EVENING_FROM, EVENING_UNTIL = time(19, 0), time(22, 0)
BASELINE_REMINDER_WINDOW = timedelta(days=3)  # a job down for days does not send stale reminders


def set_evening_reminder(patient: User, on: bool, *, now: datetime) -> None:
    prefs = medication.preferences(patient.id) or DiaryPreferences(patient_id=patient.id)
    prefs.evening_reminder, prefs.updated_at = on, now
    db.session.add(prefs)


def _queue_once(user: User, template: str, *, subject: str, dedupe_key: str, essential: bool, **context) -> bool:
    try:
        with db.session.begin_nested():
            message = queue_for(user, template, subject=subject, essential=essential, kind=template,
                                dedupe_key=dedupe_key, **context)
    except IntegrityError:  # another host queued it a moment ago
        return False
    return message is not None


def send_diary_reminders(now: datetime) -> int:
    """Queue the evening nudges and baseline reminders that are due. Returns how many were queued."""
    queued = 0
    patients = db.session.scalars(select(User).join(DiaryPreferences, DiaryPreferences.patient_id == User.id)
                                  .where(DiaryPreferences.evening_reminder.is_(True))).all()
    for patient in patients:
        local = now.astimezone(zone_of(patient))
        if not EVENING_FROM <= local.time() < EVENING_UNTIL:
            continue
        day_start = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        logged = db.session.scalar(select(exists().where(DiaryEntry.patient_id == patient.id,
                                                         DiaryEntry.created_at >= day_start)))
        if logged:
            continue
        queued += _queue_once(patient, "diary_reminder", subject="A minute for your diary?", essential=False,
                              dedupe_key=f"diary:{patient.id}:{local.date().isoformat()}", patient=patient)
    due = db.session.scalars(select(Flare).options(joinedload(Flare.tryptase)).where(
        Flare.ended_at.is_not(None), Flare.ended_at <= now - timedelta(hours=24),
        Flare.ended_at > now - timedelta(hours=24) - BASELINE_REMINDER_WINDOW)).unique().all()
    for flare in due:
        owner = db.session.get(User, flare.patient_id)
        if owner is None or any(r.kind == "baseline" for r in flare.tryptase):
            continue
        queued += _queue_once(owner, "flare_baseline_reminder", essential=True,
                              subject="A baseline tryptase, now that the flare is over",
                              dedupe_key=f"flare-baseline:{flare.id}", patient=owner, flare=flare)
    db.session.commit()
    return queued


def practitioners_of(patient_id: int) -> list[PractitionerProfile]:
    return list(db.session.scalars(select(PractitionerProfile).where(
        select(Appointment.id).where(Appointment.patient_id == patient_id,
                                     Appointment.practitioner_id == PractitionerProfile.id).exists())))


def current_alerts(patient: User, now: datetime) -> list[medication.Alert]:
    latest = intake_service.latest_for_patient(patient.id)
    return medication.alerts(medication.plans_for(patient.id), medication.preferences(patient.id),
                             latest.answers if latest else None, now.astimezone(zone_of(patient)).date())


def alert_practitioner(patient: User, *, now: datetime) -> int:
    """Email her practitioner(s) about each safety alert once a day; the email names no health detail."""
    found = current_alerts(patient, now)
    queued = 0
    for profile in practitioners_of(patient.id) if found else []:
        for alert in found:
            queued += _queue_once(profile.user, "diary_medication_alert", essential=True,
                                  subject="A patient's medication plan needs your review",
                                  dedupe_key=f"med-alert:{patient.id}:{alert.kind}:{now.date().isoformat()}",
                                  patient=patient)
    return queued
