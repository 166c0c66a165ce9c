"""`flask send-daily-agenda` (cron, every 15 minutes): the practitioner's agenda for the day, at 07:00
in her own zone, for those who turned it on. Sent once per local date (the outbox's dedupe key,
which also keeps several hosts from sending it twice), only between 07:00 and noon (a job that was
down all morning does not send it in the evening), and not on a day with nothing booked."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.scheduling import Appointment, PractitionerProfile
from app.notify.invites import where
from app.notify.mail import queue_email
from app.scheduling.schedule import blocking_clause

SEND_FROM, SEND_UNTIL = time(7, 0), time(12, 0)


def agenda_for(profile: PractitionerProfile, day: date, now: datetime) -> list[Appointment]:
    zone = ZoneInfo(profile.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return list(db.session.scalars(
        select(Appointment).options(joinedload(Appointment.consultation_type), joinedload(Appointment.patient))
        .where(Appointment.practitioner_id == profile.id, Appointment.starts_at >= start,
               Appointment.starts_at < end, blocking_clause(now))
        .order_by(Appointment.starts_at)).all())


def send_daily_agendas(now: datetime) -> int:
    """Queue today's agenda for each practitioner who wants it and whose morning it is. Returns how many."""
    queued = 0
    profiles = db.session.scalars(select(PractitionerProfile)
                                  .where(PractitionerProfile.daily_agenda_email.is_(True))).all()
    for profile in profiles:
        local = now.astimezone(ZoneInfo(profile.timezone))
        if not SEND_FROM <= local.time() < SEND_UNTIL:
            continue
        appointments = agenda_for(profile, local.date(), now)
        if not appointments:
            continue
        try:
            with db.session.begin_nested():
                message = queue_email(
                    profile.user.email, "daily_agenda", subject=f"Today: {len(appointments)} appointment"
                    f"{'s' if len(appointments) != 1 else ''} ({local:%A %-d %B})", kind="daily_agenda",
                    dedupe_key=f"agenda:{profile.id}:{local.date().isoformat()}",
                    profile=profile, day=local.date(), appointments=appointments, where=where)
        except IntegrityError:  # another host queued it a moment ago
            continue
        queued += message is not None
    db.session.commit()
    return queued
