"""The one screen for choosing a time (issue 21): the month, the chosen day's times beside it, the zone
and clock pickers. Booking (/book/SLUG) and the patient's reschedule page share it (templates/booking/
_picker.html). Without JavaScript a day link reloads the page with that day's times; static/js/booking.js
swaps the times in place from the same page."""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request, session, url_for
from flask_login import current_user

from app.scheduling.schedule import local_window
from app.timezones import ZoneAnswer, resolve_zone, valid_zone_name
from app.web.forms import plausible_date

CLOCKS = ("12", "24")
CLOCK_KEY = "clock"


def clock_choice() -> str:
    """12- or 24-hour times: ?clock= when given (remembered for the session), else her earlier choice,
    else the practice's setting (PRACTICE_CLOCK)."""
    asked = request.args.get("clock", "")
    if asked in CLOCKS:
        session[CLOCK_KEY] = asked
        return asked
    remembered = session.get(CLOCK_KEY)
    if remembered in CLOCKS:
        return str(remembered)
    default = str(current_app.config.get("PRACTICE_CLOCK", "24"))
    return default if default in CLOCKS else "24"


def viewer_zone(practice_zone: str) -> str:
    """The zone times are shown in: ?tz= when valid, else the signed-in person's, else the practice's."""
    requested = request.values.get("tz", "")
    if valid_zone_name(requested):
        return requested
    if current_user.is_authenticated:
        return current_user.timezone
    return practice_zone


def typed_zone() -> tuple[str | None, ZoneAnswer | None]:
    """What the zone box (?tz=) says, read as people write it (app/timezones.py): (this page's URL with the
    zone's IANA name, None) when it names a zone by another name ("tokyo", "JST", "UTC+9"); (None, the
    answer with its message and suggestions) when it names none, for a 422 that shows no times at all
    rather than another zone's; (None, None) when it is an IANA name or absent."""
    typed = request.args.get("tz", "")
    if not typed:
        return None, None
    answer = resolve_zone(typed)
    if answer.zone is None:
        return None, answer
    if answer.zone != typed:
        return page_with(tz=answer.zone), None
    return None, None


@dataclass
class Picker:
    zone: str
    month: date
    today: date
    weeks: list[list[date]]
    open_days: set[date]
    day: date | None  # the day whose times are shown
    day_asked: bool  # she chose it (rather than it being the month's first open day)
    slots: list[datetime] = field(default_factory=list)
    prev_month: date | None = None
    next_month: date | None = None


def _parse_month(value: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    return first if plausible_date(first) else None


def _parse_day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if plausible_date(day) else None


def _open_days(first: date, zone: str, open_slots: Callable[[datetime, datetime], list[datetime]]
               ) -> dict[date, list[datetime]]:
    """The month's open starts by local day."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    start, end = local_window(first, last, zone)
    by_day: dict[date, list[datetime]] = {}
    for s in open_slots(start, end):
        by_day.setdefault(s.astimezone(ZoneInfo(zone)).date(), []).append(s)
    return by_day


def build(zone: str, now: datetime, horizon_days: int,
          open_slots: Callable[[datetime, datetime], list[datetime]]) -> Picker:
    """The screen for ?month=YYYY-MM&day=YYYY-MM-DD in `zone`; `open_slots(start, end)` gives the open
    starts in a window. A day outside the bookable months falls back to the month's first open day."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    this_month = today.replace(day=1)
    horizon_end = (now + timedelta(days=horizon_days)).astimezone(tz).date()
    asked_day = _parse_day(request.args.get("day"))
    if asked_day is not None and not (today <= asked_day <= horizon_end):
        asked_day = None
    first = asked_day.replace(day=1) if asked_day else (_parse_month(request.args.get("month")) or this_month)
    first = min(max(first, this_month), horizon_end.replace(day=1))
    by_day = _open_days(first, zone, open_slots)
    if not by_day and asked_day is None and not request.args.get("month") and first < horizon_end.replace(day=1):
        # Nothing left this month (its last days, or a full month): open on the next one.
        first = (first + timedelta(days=32)).replace(day=1)
        by_day = _open_days(first, zone, open_slots)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    day = asked_day or (min(by_day) if by_day else None)
    next_month = last + timedelta(days=1)
    return Picker(
        zone=zone, month=first, today=today,
        weeks=calendar.Calendar().monthdatescalendar(first.year, first.month),
        open_days=set(by_day), day=day, day_asked=asked_day is not None, slots=by_day.get(day, []) if day else [],
        prev_month=(first - timedelta(days=1)).replace(day=1) if first > this_month else None,
        next_month=next_month if next_month <= horizon_end else None)


def page_with(**changes: str | None) -> str:
    """This page's URL with some query arguments changed (None drops one): the picker's day, month and
    clock links keep the zone and everything else."""
    args: dict[str, Any] = {key: value for key, value in request.args.items() if key not in changes}
    args.update({key: value for key, value in changes.items() if value is not None})
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)

