"""Fetch every calendar and replace its busy times. `sync_all(now)` is what the `sync-calendars` CLI
command (and a periodic task of the task queue) calls.

Per calendar: read what is needed and end the transaction; fetch over the network with no
transaction open; then, in one transaction under the practitioner's schedule lock, either replace
the calendar's busy rows (and raise her schedule_version when they changed, so cached open times are
dropped) or, when the fetch failed, record the error and keep the last known busy times.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select

from app import leases
from app.calendars import busy as core
from app.calendars.fetch import FetchError, fetch_caldav, fetch_ics
from app.calendars.secrets import UnreadableSecret, unseal
from app.database import serialised_write
from app.extensions import db
from app.models.calendars import CALDAV, CalendarBusy, ExternalCalendar
from app.models.scheduling import ConsultationType, PractitionerProfile
from app.scheduling import cache

PAST = timedelta(days=30)  # her agenda shows this week; slots never look back
DEFAULT_HORIZON_DAYS = 60


@dataclass(frozen=True)
class SyncResult:
    calendar_id: int
    name: str
    ok: bool
    busy: int  # rows kept for the calendar after this run
    changed: bool
    error: str = ""


@dataclass(frozen=True)
class _Job:
    calendar_id: int
    practitioner_id: int
    name: str
    kind: str
    secret: str
    store_titles: bool
    zone: str
    horizon_days: int


def window(now: datetime, horizon_days: int) -> tuple[datetime, datetime]:
    """What is fetched: 30 days back to her longest booking horizon (and a day)."""
    return now - PAST, now + timedelta(days=horizon_days + 1)


def _jobs(calendar_id: int | None = None) -> list[_Job]:
    horizon = (select(func.max(ConsultationType.horizon_days))
               .where(ConsultationType.practitioner_id == ExternalCalendar.practitioner_id,
                      ConsultationType.active.is_(True)).scalar_subquery())
    query = (select(ExternalCalendar.id, ExternalCalendar.practitioner_id, ExternalCalendar.name, ExternalCalendar.kind,
                    ExternalCalendar.secret, ExternalCalendar.store_titles, PractitionerProfile.timezone, horizon)
             .join(PractitionerProfile, PractitionerProfile.id == ExternalCalendar.practitioner_id)
             .order_by(ExternalCalendar.id))
    if calendar_id is not None:
        query = query.where(ExternalCalendar.id == calendar_id)
    rows = db.session.execute(query).all()
    db.session.commit()  # no transaction stays open across the network
    return [_Job(row_id, practitioner_id, name, kind, secret, store_titles, zone,
                 horizon_days=horizon or DEFAULT_HORIZON_DAYS)
            for row_id, practitioner_id, name, kind, secret, store_titles, zone, horizon in rows]


def _fetch(job: _Job, start: datetime, end: datetime) -> list[core.BusyInterval]:
    allow_private = current_app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"]
    deadline = current_app.config["CALENDAR_FETCH_SECONDS"]
    try:
        secret = unseal(job.secret)
    except UnreadableSecret as error:
        raise FetchError(str(error)) from None
    if job.kind == CALDAV:
        texts: list = fetch_caldav(secret, start, end, allow_private=allow_private, deadline=deadline)
    else:
        texts = fetch_ics(secret, allow_private=allow_private, deadline=deadline)
    try:
        return core.busy_intervals(texts, start, end, job.zone, keep_titles=job.store_titles)
    except core.CalendarDataError as error:
        raise FetchError(str(error)) from None


def sync_calendar(job: _Job, now: datetime) -> SyncResult:
    start, end = window(now, job.horizon_days)
    try:
        intervals, problem = _fetch(job, start, end), ""
    except FetchError as error:
        intervals, problem = None, error.message
    with serialised_write(select(PractitionerProfile.id).where(PractitionerProfile.id == job.practitioner_id)
                          .with_for_update()):
        calendar = db.session.get(ExternalCalendar, job.calendar_id, populate_existing=True)
        if calendar is None:  # removed while we fetched
            db.session.rollback()
            return SyncResult(job.calendar_id, job.name, False, 0, False, "removed")
        calendar.last_attempt_at = now
        changed = False
        if intervals is None:
            calendar.last_error = problem
        else:
            changed = _replace(calendar, intervals)
            calendar.last_error, calendar.last_success_at, calendar.busy_count = "", now, len(intervals)
        count = calendar.busy_count
    db.session.commit()
    return SyncResult(job.calendar_id, job.name, intervals is not None, count, changed, problem)


def _replace(calendar: ExternalCalendar, intervals: list[core.BusyInterval]) -> bool:
    """Put `intervals` in place of the calendar's rows; True when that changes anything."""
    table = CalendarBusy.__table__
    old = db.session.execute(select(CalendarBusy.starts_at, CalendarBusy.ends_at, CalendarBusy.title)
                             .where(CalendarBusy.calendar_id == calendar.id)).all()
    if sorted((s, e, t or "") for s, e, t in old) == [(b.start, b.end, b.title or "") for b in intervals]:
        return False
    db.session.execute(delete(table).where(table.c.calendar_id == calendar.id))
    if intervals:
        db.session.execute(insert(table), [
            {"calendar_id": calendar.id, "practitioner_id": calendar.practitioner_id, "starts_at": b.start,
             "ends_at": b.end, "title": b.title} for b in intervals])
    cache.schedule_changed(calendar.practitioner_id)
    return True


class SyncRunning(Exception):
    """Another sync (on this host or another) holds the lease: this one does nothing."""


LEASE = "sync-calendars"


def sync_all(now: datetime) -> list[SyncResult]:
    """Sync every calendar of every practitioner, one after the other; one failing never stops the
    others. Idempotent: a second run with nothing changed writes only the attempt times.

    One sync at a time across hosts: it holds a lease (app/leases.py) for two fetch deadlines and a
    minute, renewed after each calendar; SyncRunning when another sync holds it."""
    seconds = 2 * current_app.config["CALENDAR_FETCH_SECONDS"] + 60
    token = leases.hold(LEASE, seconds)
    if token is None:
        raise SyncRunning("Another calendar sync is running.")
    results = []
    try:
        for job in _jobs():
            results.append(sync_calendar(job, now))
            renewed = leases.renew(LEASE, token, seconds)
            if renewed is None:  # it lapsed and another sync took it: leave the rest to that one
                break
            token = renewed
    finally:
        db.session.rollback()
        leases.release(LEASE, token)
    return results

