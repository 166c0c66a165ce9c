"""Reads a practitioner's schedule from the database and asks the pure slot engine what is open.

A 30-day request costs five queries whatever the number of appointments: the consultation type with
its practitioner, weekly hours, overrides, time off, and one query of busy spans: an indexed range scan
of appointments and, in the same statement (UNION ALL), one of the busy times read from her own
calendars (app/calendars), which block exactly like appointments.
"""
from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import QueryableAttribute, joinedload

from app.extensions import db
from app.models.calendars import CalendarBusy
from app.models.scheduling import (
    CONFIRMED,
    PENDING_PAYMENT,
    Appointment,
    ConsultationType,
    DateOverride,
    PractitionerProfile,
    TimeOff,
    WeeklyAvailability,
)
from app.scheduling import availability as engine
from app.scheduling import cache

# No appointment blocks more than a day (enforced by the consultation-type editor), which bounds the
# busy-span scan to the window plus a day on each side.
MAX_BLOCKED = timedelta(days=1)


@dataclass(frozen=True)
class ScheduleInputs:
    zone: str
    rules: tuple
    overrides: tuple
    time_off: tuple
    busy: engine.BusyRuns
    capped_starts: tuple
    policy: engine.SlotPolicy

    def kwargs(self) -> dict:
        return {"zone": self.zone, "rules": self.rules, "overrides": self.overrides, "time_off": self.time_off,
                "busy": self.busy, "capped_starts": self.capped_starts, "policy": self.policy}


def active_type(slug: str) -> ConsultationType | None:
    return db.session.scalar(
        select(ConsultationType).options(joinedload(ConsultationType.practitioner))
        .where(ConsultationType.slug == slug, ConsultationType.active.is_(True)))


def policy_for(ct: ConsultationType | cache.TypeSnapshot) -> engine.SlotPolicy:
    return engine.SlotPolicy(
        duration=timedelta(minutes=ct.duration_minutes),
        buffer_before=timedelta(minutes=ct.buffer_before_minutes),
        buffer_after=timedelta(minutes=ct.buffer_after_minutes),
        granularity=timedelta(minutes=ct.granularity_minutes),
        min_notice=timedelta(minutes=ct.min_notice_minutes),
        horizon=timedelta(days=ct.horizon_days),
        max_per_day=ct.max_per_day,
    )


def blocking_clause(now: datetime | BindParameter[datetime]):
    """Appointments that occupy their time now: confirmed, or a hold that has not run out."""
    return or_(Appointment.status == CONFIRMED,
               and_(Appointment.status == PENDING_PAYMENT, Appointment.hold_expires_at > now))


def load_inputs(ct: ConsultationType | cache.TypeSnapshot, window_start: datetime, window_end: datetime,
                now: datetime, *, ignore_appointment_id: int | None = None) -> ScheduleInputs:
    """The schedule around the window, in four queries. `ct` is a consultation type or its snapshot
    (which carries the practitioner's zone, so nothing more is read for it)."""
    zone_name = ct.timezone if isinstance(ct, cache.TypeSnapshot) else ct.practitioner.timezone
    zone = ZoneInfo(zone_name)
    lo, hi = window_start - MAX_BLOCKED, window_end + MAX_BLOCKED
    statements = _statements(ct.max_per_day is not None, ignore_appointment_id is not None)
    params = {"practitioner_id": ct.practitioner_id, "lo": lo, "hi": hi, "scan_from": lo - MAX_BLOCKED, "now": now,
              "first_day": lo.astimezone(zone).date(), "last_day": hi.astimezone(zone).date(),
              "ignore_id": ignore_appointment_id}
    rules = db.session.execute(statements.rules, params).all()
    override_rows = db.session.execute(statements.overrides, params).all()
    time_off = db.session.execute(statements.time_off, params).all()
    busy = db.session.connection().execute(statements.busy, params).all()  # Core: no ORM per row
    # The tables' check constraints keep start < end. SQLite returns the stored naive-UTC text (parsed in C,
    # nothing else to do), PostgreSQL aware datetimes; merged here once, as naive UTC.
    parse = datetime.fromisoformat if busy and isinstance(busy[0][0], str) else _naive_utc
    return ScheduleInputs(
        zone=zone_name,
        rules=tuple(engine.WeeklyRule(r.weekday, r.start_time, r.end_time) for r in rules),
        overrides=_overrides(override_rows),
        time_off=tuple(engine.Span(r.starts_at, r.ends_at) for r in time_off),
        busy=engine.BusyRuns.merged([(parse(r[0]), parse(r[1])) for r in busy]),
        capped_starts=tuple(r[2] for r in busy if r[3] == ct.id)
        if ct.max_per_day is not None else (),
        policy=policy_for(ct),
    )


@dataclass(frozen=True)
class _Statements:
    rules: Select
    overrides: Select
    time_off: Select
    busy: CompoundSelect


@functools.cache
def _statements(capped: bool, ignoring: bool) -> _Statements:
    """load_inputs' four statements, built once per shape (with or without a daily cap, ignoring an
    appointment or not) with bound parameters: building them anew was a good part of a request's time."""
    practitioner_id: BindParameter[int] = bindparam("practitioner_id")
    lo: BindParameter[datetime] = bindparam("lo")
    hi: BindParameter[datetime] = bindparam("hi")
    rules = (select(WeeklyAvailability.weekday, WeeklyAvailability.start_time, WeeklyAvailability.end_time)
             .where(WeeklyAvailability.practitioner_id == practitioner_id))
    overrides = (select(DateOverride.day, DateOverride.start_time, DateOverride.end_time)
                 .where(DateOverride.practitioner_id == practitioner_id,
                        DateOverride.day >= bindparam("first_day"), DateOverride.day <= bindparam("last_day")))
    time_off = (select(TimeOff.starts_at, TimeOff.ends_at)
                .where(TimeOff.practitioner_id == practitioner_id, TimeOff.starts_at < hi, TimeOff.ends_at > lo))
    # The start and type are only needed for a daily cap; each extra column is a conversion per row.
    # Read as the driver returns them (ISO text on SQLite, aware datetimes on PostgreSQL) and convert
    # once in load_inputs: the generic type processing was most of the per-row cost of a full calendar.
    columns: list[ColumnElement[Any] | QueryableAttribute[Any]] = [
        type_coerce(Appointment.blocked_start, String), type_coerce(Appointment.blocked_end, String)]
    if capped:
        columns += [Appointment.starts_at, Appointment.consultation_type_id]
    busy_query = (
        select(*columns)
        .where(Appointment.practitioner_id == practitioner_id,
               Appointment.blocked_start >= bindparam("scan_from"), Appointment.blocked_start < hi,
               Appointment.blocked_end > lo, blocking_clause(bindparam("now"))))
    if ignoring:
        busy_query = busy_query.where(Appointment.id != bindparam("ignore_id"))
    # Calendar events can last days (a holiday), so their scan is bounded by the fetched window instead.
    calendar_columns: list[ColumnElement[Any]] = [
        type_coerce(CalendarBusy.starts_at, String), type_coerce(CalendarBusy.ends_at, String)]
    if capped:  # they count towards no daily cap
        calendar_columns += [null(), null()]
    calendar_query = select(*calendar_columns).where(
        CalendarBusy.practitioner_id == practitioner_id, CalendarBusy.starts_at < hi, CalendarBusy.ends_at > lo)
    return _Statements(rules, overrides, time_off, busy_query.union_all(calendar_query))


def _naive_utc(value: str | datetime) -> datetime:
    """A busy row's instant (aware, from PostgreSQL, in the session's zone; or text) as naive UTC."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.replace(tzinfo=None) - value.utcoffset()  # type: ignore[operator]


def _overrides(rows) -> tuple:
    by_day: dict[date, list] = {}
    for day, start, end in rows:
        ranges = by_day.setdefault(day, [])
        if start is not None and end is not None:
            ranges.append(engine.LocalRange(start, end))
    return tuple(engine.DateOverride(day, tuple(sorted(ranges, key=lambda r: r.start)))
                 for day, ranges in sorted(by_day.items()))


def open_slots(ct: ConsultationType | cache.TypeSnapshot, window_start: datetime, window_end: datetime,
               now: datetime, *, ignore_appointment_id: int | None = None, any_notice: bool = False) -> list[datetime]:
    """`any_notice`: the practitioner's own view, where the type's minimum notice does not apply."""
    inputs = load_inputs(ct, window_start, window_end, now, ignore_appointment_id=ignore_appointment_id)
    kwargs = inputs.kwargs()
    if any_notice:
        kwargs["policy"] = replace(inputs.policy, min_notice=timedelta(0))
    return engine.open_slots(**kwargs, now=now, window_start=window_start, window_end=window_end)


def cached_open_slots(ct: ConsultationType, window_start: datetime, window_end: datetime,
                      now: datetime) -> list[datetime]:
    """open_slots for display, from a cache keyed on the practitioner's schedule_version (read with
    the consultation type, so no extra query). Notice and horizon are re-applied to `now`. Booking
    never uses this: it checks against the database inside its lock."""
    answer = _answer(ct.id, ct.practitioner.schedule_version, window_start, window_end, now, ct)
    lo, hi = bookable_slice(answer.starts, now, ct.min_notice_minutes, ct.horizon_days)
    return answer.starts[lo:hi]


def _answer(type_id: int, version: int, window_start: datetime, window_end: datetime, now: datetime,
            ct: ConsultationType | cache.TypeSnapshot) -> cache.Answer:
    key = (type_id, version, window_start, window_end)
    answer = cache.get(key, now)
    if answer is None:
        answer = cache.Answer(open_slots(ct, window_start, window_end, now))
        cache.put(key, now, answer)
    return answer


def bookable_slice(starts: list[datetime], now: datetime, notice_minutes: int, horizon_days: int) -> tuple[int, int]:
    """[lo, hi) of the sorted `starts` that respect notice and horizon at `now`."""
    return (bisect_left(starts, now + timedelta(minutes=notice_minutes)),
            bisect_right(starts, now + timedelta(days=horizon_days)))


def type_snapshot(slug: str) -> cache.TypeSnapshot | None:
    """An active consultation type as the slots API needs it, from a snapshot at most
    SLOTS_REVALIDATE_SECONDS old (see cache.py)."""
    return cache.type_snapshot(slug, _read_snapshot)


def _read_snapshot(slug: str) -> cache.TypeSnapshot | None:
    row = db.session.execute(_snapshot_statement(), {"slug": slug}).first()
    if row is None:
        return None
    (type_id, slug, duration, before, after, granularity, notice, horizon, max_per_day, practitioner_id, zone,
     version) = row
    return cache.TypeSnapshot(type_id, slug, duration, before, after, granularity, notice, horizon, max_per_day,
                              practitioner_id, zone, version)


@functools.cache
def _snapshot_statement() -> Select:
    """Built once, with the slug bound per request (see _statements)."""
    return (select(ConsultationType.id, ConsultationType.slug, ConsultationType.duration_minutes,
                   ConsultationType.buffer_before_minutes, ConsultationType.buffer_after_minutes,
                   ConsultationType.granularity_minutes, ConsultationType.min_notice_minutes,
                   ConsultationType.horizon_days, ConsultationType.max_per_day, PractitionerProfile.id,
                   PractitionerProfile.timezone, PractitionerProfile.schedule_version)
            .join(PractitionerProfile, PractitionerProfile.id == ConsultationType.practitioner_id)
            .where(ConsultationType.slug == bindparam("slug"), ConsultationType.active.is_(True)))


def published_slots(snapshot: cache.TypeSnapshot, window_start: datetime, window_end: datetime, now: datetime,
                    zone: str, render) -> tuple[str, Callable[[], bytes]]:
    """The open times of `snapshot`'s type in the window, as (validator, body()). The validator
    changes whenever the body would: with the schedule version, with the open times (recomputed after
    CACHE_SECONDS, so a hold that ran out shows; the same in every worker) and with the notice and horizon cut-offs at
    `now`. body() renders for `zone` with `render(starts)` once per cut-off and keeps the encoded
    JSON beside the cached answer. Reads the database only when the answer is not cached for this
    schedule version."""
    answer = _answer(snapshot.id, snapshot.schedule_version, window_start, window_end, now, snapshot)
    lo, hi = bookable_slice(answer.starts, now, snapshot.min_notice_minutes, snapshot.horizon_days)
    validator = f"{snapshot.schedule_version}.{answer.digest}.{lo}.{hi}"
    return validator, lambda: cache.body(answer, (zone, lo, hi), lambda: render(answer.starts[lo:hi]))


def local_window(start_day: date, end_day: date, zone: str) -> tuple[datetime, datetime]:
    """[local midnight of start_day, local midnight after end_day) in `zone`, as instants."""
    tz = ZoneInfo(zone)
    begin = datetime.combine(start_day, time(0), tzinfo=tz)
    end = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=tz)
    return begin.astimezone(engine.UTC), end.astimezone(engine.UTC)


def nearest_open(ct: ConsultationType, around: datetime, now: datetime, count: int = 3) -> list[datetime]:
    """The open starts closest to `around` (either side), for "that time was just taken"."""
    slots = open_slots(ct, around - timedelta(days=7), around + timedelta(days=14), now)
    return sorted(sorted(slots, key=lambda s: abs(s - around))[:count])


def open_hours(profile: PractitionerProfile, first_day: date, last_day: date) -> list[engine.Span]:
    """Her open hours on those local dates (weekly hours and date overrides), in two queries."""
    rules = db.session.execute(
        select(WeeklyAvailability.weekday, WeeklyAvailability.start_time, WeeklyAvailability.end_time)
        .where(WeeklyAvailability.practitioner_id == profile.id)).all()
    override_rows = db.session.execute(
        select(DateOverride.day, DateOverride.start_time, DateOverride.end_time)
        .where(DateOverride.practitioner_id == profile.id, DateOverride.day >= first_day,
               DateOverride.day <= last_day)).all()
    return engine.open_hours(zone=profile.timezone, rules=[engine.WeeklyRule(*r) for r in rules],
                             overrides=_overrides(override_rows), first_day=first_day, last_day=last_day)


def time_off_between(profile: PractitionerProfile, start: datetime, end: datetime) -> list[TimeOff]:
    """Her time off overlapping [start, end), in one query."""
    return list(db.session.scalars(
        select(TimeOff).where(TimeOff.practitioner_id == profile.id, TimeOff.starts_at < end, TimeOff.ends_at > start)
        .order_by(TimeOff.starts_at)).all())
