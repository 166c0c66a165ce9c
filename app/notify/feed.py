"""The practitioner's calendar subscription: /practice/calendar/TOKEN.ics.

Calendar apps fetch it without cookies, so the long random token in the address is the only key.
Only its SHA-256 is stored: the address is shown once when created, can be replaced (the old one
stops working at once) or turned off. The feed carries as little health data as a calendar can:
the consultation type and the patient's initials, with a link to the appointment page in the app
(behind login). No names, emails, notes or symptoms.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.audit import record
from app.models.scheduling import (
    COMPLETED,
    CONFIRMED,
    NO_SHOW,
    PENDING_PAYMENT,
    Appointment,
    ConsultationType,
    PractitionerProfile,
)
from app.notify.invites import PRODID, event_uid, utc, where

PAST = timedelta(days=30)
TOKEN_BYTES = 32  # 256 bits, 43 characters in the address


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_token(profile: PractitionerProfile, *, actor) -> str:
    """A new subscription token (the previous one stops working). Returns it: show it once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    profile.calendar_feed_token_hash = _digest(token)
    record("rotate", "calendar_feed", profile.id, actor=actor)
    return token


def revoke_token(profile: PractitionerProfile, *, actor) -> None:
    profile.calendar_feed_token_hash = None
    record("revoke", "calendar_feed", profile.id, actor=actor)


def profile_for_token(token: str) -> PractitionerProfile | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(PractitionerProfile)
                             .where(PractitionerProfile.calendar_feed_token_hash == _digest(token)))


def feed_appointments(profile: PractitionerProfile, now: datetime) -> list[Appointment]:
    """Booked appointments (held ones while the hold lasts) from 30 days back to the booking horizon."""
    horizon_days = db.session.scalar(select(func.max(ConsultationType.horizon_days))
                                     .where(ConsultationType.practitioner_id == profile.id)) or 60
    booked = or_(Appointment.status.in_((CONFIRMED, COMPLETED, NO_SHOW)),
                 and_(Appointment.status == PENDING_PAYMENT, Appointment.hold_expires_at > now))
    return list(db.session.scalars(
        select(Appointment).options(joinedload(Appointment.consultation_type), joinedload(Appointment.patient))
        .where(Appointment.practitioner_id == profile.id, booked,
               Appointment.starts_at >= now - PAST, Appointment.starts_at <= now + timedelta(days=horizon_days + 1))
        .order_by(Appointment.starts_at)).all())


def _event(appointment: Appointment, now: datetime, base_url: str) -> Event:
    initials = appointment.patient.initials if appointment.patient else "—"
    held = appointment.status == PENDING_PAYMENT
    link = f"{base_url}/practice/appointments/{appointment.id}"
    event = Event()
    event.add("uid", event_uid(appointment, prefix="practice-appointment"))  # not the patient's event
    event.add("dtstamp", utc(now))
    event.add("dtstart", utc(appointment.starts_at))
    event.add("dtend", utc(appointment.ends_at))
    event.add("sequence", appointment.reschedule_count)
    event.add("summary", f"{appointment.consultation_type.name} – {initials}" + (" (awaiting payment)" if held else ""))
    event.add("status", "TENTATIVE" if held else "CONFIRMED")
    event.add("url", link)
    event.add("description", f"Open in {current_app.config['PRACTICE_NAME']}: {link}")
    location = where(appointment)
    if location:
        event.add("location", location)
    return event


def feed_calendar(profile: PractitionerProfile, now: datetime) -> str:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{current_app.config['PRACTICE_NAME']} appointments")
    calendar.add("x-wr-timezone", profile.timezone)
    # Hints for how often to fetch again (Apple reads the first, Outlook the second; Google decides itself).
    calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    base_url = current_app.config["BASE_URL"]
    for appointment in feed_appointments(profile, now):
        calendar.add_component(_event(appointment, now, base_url))
    return calendar.to_ical().decode()
