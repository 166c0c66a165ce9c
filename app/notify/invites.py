"""Calendar files (RFC 5545 / iTIP RFC 5546) written with the `icalendar` library.

One appointment is one event whose UID never changes: the invitation (METHOD:REQUEST) sent on
confirmation, the updated one sent at each reschedule (SEQUENCE = the reschedule count, so it rises),
the cancellation (METHOD:CANCEL, same UID, SEQUENCE one higher) and the file the patient downloads
(METHOD:PUBLISH) all describe the same event, so calendars update it instead of adding another.
Instants are written in UTC; calendars show them in their own zone.
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from app.models.scheduling import CANCELLED, Appointment

PRODID = "-//Homeostasis//Appointments 1.0//EN"
REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"


def utc(value: datetime) -> datetime:
    """Written as UTC ("...Z"), whatever zone the value carries: no VTIMEZONE needed."""
    return value.astimezone(timezone.utc)


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "homeostasis"


def event_uid(appointment: Appointment, prefix: str = "appointment") -> str:
    """Stable for the life of the appointment; the creation instant keeps it unique even if ids are
    ever reused (a restored or reset database)."""
    return f"{prefix}-{appointment.id}-{int(appointment.created_at.timestamp())}@{_host()}"


def appointment_url(appointment: Appointment) -> str:
    return f"{current_app.config['BASE_URL']}/account/appointments/{appointment.id}"


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key.replace("_", "-")] = value
    return address


def where(appointment: Appointment) -> str:
    """The meeting link (the appointment's own room, or the type's fixed link) or the address; for a
    phone call, what the type says (or nothing)."""
    return appointment.video_url or appointment.consultation_type.location or ""


def is_link(location: str) -> bool:
    return location.startswith(("https://", "http://"))


def patient_invite(appointment: Appointment, method: str, now: datetime) -> str:
    """The patient's calendar file for this appointment, as text."""
    ct = appointment.consultation_type
    profile = appointment.practitioner
    patient = appointment.patient
    cancelled = method == CANCEL or appointment.status == CANCELLED
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("dtstamp", utc(now))
    event.add("created", utc(appointment.created_at))
    event.add("dtstart", utc(appointment.starts_at))
    event.add("dtend", utc(appointment.ends_at))
    event.add("sequence", appointment.reschedule_count + (1 if method == CANCEL else 0))
    event.add("summary", f"{ct.name} with {profile.display_name}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(profile.user.email, profile.display_name))
    if patient is not None:
        event.add("attendee", _address(patient.email, patient.full_name, role="REQ-PARTICIPANT",
                                       partstat="DECLINED" if cancelled else "ACCEPTED", rsvp="FALSE"))
    location = where(appointment)
    if location:
        event.add("location", location)
    event.add("url", location if is_link(location) else appointment_url(appointment))
    lines = [f"{ct.mode_label}{': ' + location if location else ''}",
             f"See, reschedule or cancel: {appointment_url(appointment)}"]
    event.add("description", "\n".join(lines))
    calendar = _calendar(method)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def attachment(appointment: Appointment, method: str, now: datetime) -> dict:
    """An outbox attachment; `method=` in the content type is what mail clients look for."""
    name = "cancellation.ics" if method == CANCEL else "invite.ics"
    return {"filename": name, "content_type": f"text/calendar; method={method}",
            "content": patient_invite(appointment, method, now)}
