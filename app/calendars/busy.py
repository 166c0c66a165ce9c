"""Pure: iCalendar text -> the busy intervals it holds in a window, as UTC instants.

No network, no database, no clock. Recurrence (RRULE, RDATE, EXDATE, moved or cancelled occurrences
by RECURRENCE-ID) is expanded by `recurring-ical-events`; time zones come from the calendar's
VTIMEZONE definitions through `icalendar`. What blocks, and why:
  * an event blocks its [start, end), clipped to the window;
  * TRANSP:TRANSPARENT ("show as free"; Google's default for all-day events) and Outlook's
    X-MICROSOFT-CDO-BUSYSTATUS:FREE do not block; STATUS:CANCELLED does not block (a cancelled
    occurrence is a RECURRENCE-ID override with that status);
  * an all-day event (DTSTART;VALUE=DATE) blocks whole days from local midnight in the
    practitioner's zone, which is what "all day" means to her; a floating time (no TZID) is also read
    in her zone;
  * an event with no length (DTEND = DTSTART) blocks nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

UTC = timezone.utc
TITLE_LENGTH = 200


class CalendarDataError(ValueError):
    """The data is not iCalendar (the message is for the practitioner)."""


@dataclass(frozen=True, order=True)
class BusyInterval:
    start: datetime  # aware UTC
    end: datetime
    title: str | None = None


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # an all-day date: her local midnight
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None or value.utcoffset() is None:  # floating: her wall clock
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def blocks(event: icalendar.cal.Component) -> bool:
    """Whether an event occupies time at all, whatever its times."""
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    return str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "BUSY")).upper() != "FREE"


def parse(text: bytes | str) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError):
        # Never the parser's message: it quotes the answer (which could be an internal service's).
        raise CalendarDataError("The calendar is not valid iCalendar data.") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise CalendarDataError("The calendar is not valid iCalendar data (no VCALENDAR).")
    return calendar


def _span(event: icalendar.cal.Component, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    first = start.dt
    end = event.get("DTEND")
    duration = event.get("DURATION")
    if end is not None:
        last = end.dt
    elif duration is not None:
        last = first + duration.dt
    else:  # RFC 5545 3.6.1: a date lasts one day, a date-time no time at all
        last = first if isinstance(first, datetime) else first + timedelta(days=1)
    return _instant(first, zone), _instant(last, zone)


def busy_intervals(texts: Iterable[bytes | str], window_start: datetime, window_end: datetime, zone: str,
                   *, keep_titles: bool = False) -> list[BusyInterval]:
    """Sorted, de-duplicated busy intervals of the events in `texts` that overlap the window. Each
    text is one VCALENDAR (a CalDAV resource or a whole .ics file). Raises CalendarDataError."""
    tz = ZoneInfo(zone)
    lo, hi = window_start.astimezone(UTC), window_end.astimezone(UTC)
    found: set[BusyInterval] = set()
    for text in texts:
        calendar = parse(text)
        try:
            # A day's margin each side: all-day and floating events are placed in her zone afterwards.
            occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
                lo - timedelta(days=1), hi + timedelta(days=1))
        except (ValueError, TypeError):
            raise CalendarDataError("The calendar's events could not be read (a series or time that is not "
                                    "valid iCalendar).") from None
        for event in occurrences:
            if event.name != "VEVENT" or not blocks(event):
                continue
            span = _span(event, tz)
            if span is None:
                continue
            start, end = max(span[0], lo), min(span[1], hi)
            if start < end:
                title = (str(event.get("SUMMARY", ""))[:TITLE_LENGTH] or None) if keep_titles else None
                found.add(BusyInterval(start, end, title))
    return sorted(found, key=lambda b: (b.start, b.end, b.title or ""))
