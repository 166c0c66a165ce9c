"""The practitioner's calendars as her /practice/calendars page edits them, and the busy times her
agenda shows. Nothing here touches the network: adding a calendar only saves it; the sync job
(app/calendars/sync.py) fetches it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from app.calendars.addresses import AddressRefused, check_address, hint
from app.calendars.secrets import CalendarSecret, seal
from app.extensions import db
from app.models.audit import record
from app.models.calendars import KINDS, CalendarBusy, ExternalCalendar
from app.models.scheduling import PractitionerProfile
from app.scheduling import cache
from app.validation import CONTROL, Checker, FieldErrors, clean

MAX_CALENDARS = 10
MAX_URL = 2000


class CalendarError(FieldErrors):
    pass


class _Checker(Checker):
    error = CalendarError


def calendars_for(profile: PractitionerProfile) -> list[ExternalCalendar]:
    return list(db.session.scalars(select(ExternalCalendar).where(ExternalCalendar.practitioner_id == profile.id)
                                   .order_by(ExternalCalendar.name, ExternalCalendar.id)))


def calendar_of(profile: PractitionerProfile, raw_id: object) -> ExternalCalendar | None:
    """Her calendar with that id (from a form field), else None: never another practitioner's."""
    value = clean(raw_id)
    if not value.isdigit() or len(value) > 9:
        return None
    return db.session.scalar(select(ExternalCalendar).where(ExternalCalendar.id == int(value),
                                                            ExternalCalendar.practitioner_id == profile.id))


def add_calendar(profile: PractitionerProfile, values: Mapping[str, object], *, actor, now: datetime
                 ) -> ExternalCalendar:
    check = _Checker()
    name = clean(values.get("name"))
    kind = clean(values.get("kind"))
    url = clean(values.get("url"))
    username = clean(values.get("username"))
    password = "" if values.get("password") is None else str(values.get("password"))
    if not name:
        check.fail("name", "Give the calendar a name, such as “Personal”.")
    elif len(name) > 80 or CONTROL.search(name):
        check.fail("name", "Use at most 80 characters, without control characters.")
    if kind not in KINDS:
        check.fail("kind", "Choose CalDAV or a private iCalendar address.")
    if not url:
        check.fail("url", "Give the calendar's address.")
    elif len(url) > MAX_URL or CONTROL.search(url) or any(c.isspace() for c in url):
        check.fail("url", f"Give one address of at most {MAX_URL} characters, without spaces.")
    else:
        if url.startswith("webcal://"):  # what Apple and Google show for subscriptions
            url = "https://" + url[len("webcal://"):]
        try:
            check_address(url, allow_private=current_app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"])
        except AddressRefused as refused:
            check.fail("url", str(refused))
    if len(username) > 200 or len(password) > 500 or CONTROL.search(username):
        check.fail("username", "The user name or password is too long.")
    if kind == "caldav" and not (username and password):
        check.fail("password", "CalDAV needs the user name and (app-specific) password.")
    if len(calendars_for(profile)) >= MAX_CALENDARS:
        check.fail("name", f"At most {MAX_CALENDARS} calendars can be added.")
    check.done()
    calendar = ExternalCalendar(
        practitioner_id=profile.id, name=name, kind=kind, secret=seal(CalendarSecret(url, username, password)),
        address_hint=hint(url), store_titles=bool(values.get("store_titles")), created_at=now, last_error="",
        busy_count=0)
    db.session.add(calendar)
    db.session.flush()
    record("create", "calendar", calendar.id, actor=actor, detail={"name": name, "kind": kind})
    return calendar


def remove_calendar(calendar: ExternalCalendar, *, actor) -> None:
    """Delete the calendar with its busy times: the times it blocked open again."""
    record("delete", "calendar", calendar.id, actor=actor, detail={"name": calendar.name})
    practitioner_id = calendar.practitioner_id
    db.session.delete(calendar)
    db.session.flush()
    cache.schedule_changed(practitioner_id)


def set_titles(calendar: ExternalCalendar, keep: bool, *, actor) -> None:
    """Turning titles off forgets the stored ones at once; turning them on takes effect at the next sync."""
    calendar.store_titles = keep
    if not keep:
        db.session.execute(update(CalendarBusy).where(CalendarBusy.calendar_id == calendar.id).values(title=None))
    record("update", "calendar", calendar.id, actor=actor, detail={"store_titles": keep})


@dataclass(frozen=True)
class BusyEntry:
    """A busy time on her agenda: "busy (calendar name)", with the title only when she opted in."""
    starts_at: datetime
    ends_at: datetime
    calendar: str
    title: str | None

    @property
    def label(self) -> str:
        return f"{self.title} (busy, {self.calendar})" if self.title else f"busy ({self.calendar})"


def busy_between(profile: PractitionerProfile, start: datetime, end: datetime) -> list[BusyEntry]:
    """Her calendars' busy times overlapping [start, end), in one query."""
    rows = db.session.execute(
        select(CalendarBusy.starts_at, CalendarBusy.ends_at, ExternalCalendar.name, CalendarBusy.title)
        .join(ExternalCalendar, ExternalCalendar.id == CalendarBusy.calendar_id)
        .where(CalendarBusy.practitioner_id == profile.id, CalendarBusy.starts_at < end, CalendarBusy.ends_at > start)
        .order_by(CalendarBusy.starts_at, ExternalCalendar.name)).all()
    return [BusyEntry(*row) for row in rows]
