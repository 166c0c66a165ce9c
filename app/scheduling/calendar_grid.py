"""The practitioner's calendar as a time grid: pure layout, no Flask, no database, no clock.

Each day is a column that runs in *real elapsed time* from the first shown wall-clock hour of that
local date to the last, in the practitioner's zone. On an ordinary day that is the wall clock; on the
day the clocks change it is not: after a spring-forward the column is an hour shorter (03:00 follows
01:00), after a fall-back an hour longer (01:00 comes twice). Hour marks carry their own wall-clock
labels, so such a column says so instead of stretching a 23- or 25-hour day onto 24 rows.

Entries (appointments, holds, busy times, time off) are placed by their instants, clipped to the
column, and laid out side by side in lanes where they overlap (half-open: touching is not overlapping).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

UTC = timezone.utc
HOUR = timedelta(hours=1)
# The hours shown when nothing lies outside them: a working day with a margin.
FIRST_HOUR, LAST_HOUR = 7, 20


@dataclass(frozen=True)
class Entry:
    """Something on the calendar: aware instants, a kind ("appointment", "hold", "busy", "time_off")."""
    start: datetime
    end: datetime
    kind: str
    label: str
    ref: Any = None  # what the template links to (an appointment), if anything


@dataclass(frozen=True)
class Placed:
    entry: Entry
    top: int  # minutes from the column's start
    height: int  # minutes, at least one
    lane: int
    lanes: int  # lanes in its group of overlapping entries
    cut_before: bool  # it started before the column's first hour
    cut_after: bool  # it goes on after the column's last hour


@dataclass(frozen=True)
class Mark:
    top: int  # minutes from the column's start
    label: str  # the local wall-clock reading, "01:00"
    repeated: bool = False  # a wall time shown for the second time (the fall-back hour)


@dataclass(frozen=True)
class Column:
    day: date
    start: datetime  # UTC instant of the first shown hour
    end: datetime  # UTC instant of the last shown hour
    minutes: int
    day_hours: int  # real hours in the whole local date: 23, 24 or 25
    marks: tuple[Mark, ...]
    open: tuple[tuple[int, int], ...]  # (top, height) of her open hours
    placed: tuple[Placed, ...]
    now_top: int | None = None  # the current time, on today's column

    @property
    def clock_change(self) -> str | None:
        if self.day_hours == 23:
            return "Clocks go forward: a 23-hour day"
        if self.day_hours == 25:
            return "Clocks go back: a 25-hour day"
        return None


@dataclass(frozen=True)
class Grid:
    zone: str
    first_hour: int
    last_hour: int
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def minutes(self) -> int:
        """The tallest column, which sets the grid's height."""
        return max((c.minutes for c in self.columns), default=0)


def week_of(day: date) -> list[date]:
    """Monday to Sunday of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """UTC instants of the local date's first moment and the next date's."""
    tz = ZoneInfo(zone)
    return (_instant(day, 0, tz), _instant(day + timedelta(days=1), 0, tz))


def build(days: Sequence[date], zone: str, entries: Iterable[Entry], open_spans: Iterable[tuple[datetime, datetime]],
          now: datetime) -> Grid:
    """Lay out ``entries`` and her open hours over ``days`` (consecutive local dates in ``zone``)."""
    tz = ZoneInfo(zone)
    entries = sorted(entries, key=lambda e: (e.start, e.start - e.end))  # at one start, the longest first
    spans = sorted(open_spans)
    first_hour, last_hour = _shown_hours(days, tz, entries, spans)
    columns = []
    for day in days:
        start, end = _instant(day, first_hour, tz), _instant(day, last_hour, tz)
        whole = day_bounds(day, zone)
        columns.append(Column(
            day=day, start=start, end=end, minutes=_minutes(end - start),
            day_hours=round((whole[1] - whole[0]) / HOUR), marks=_marks(start, end, tz),
            open=tuple((top, height) for top, height, _, _ in _clip(spans, start, end)),
            placed=_lanes(start, end, [e for e in entries if e.start < end and e.end > start]),
            now_top=_minutes(now - start) if start <= now < end else None))
    return Grid(zone=zone, first_hour=first_hour, last_hour=last_hour, columns=tuple(columns))


def _instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """The instant the local wall clock first shows ``hour``:00 on ``day`` (24 = the next midnight).
    fold=0 takes the earlier of a repeated reading, and maps an hour inside a spring-forward gap to the
    instant the clocks jump (PEP 495), which is where that day's column goes on."""
    if hour >= 24:
        return _instant(day + timedelta(days=1), hour - 24, tz)
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _shown_hours(days: Sequence[date], tz: ZoneInfo, entries: list[Entry],
                 spans: list[tuple[datetime, datetime]]) -> tuple[int, int]:
    """The working day, widened (whole hours) to hold every entry and open span of the days shown."""
    first, last = FIRST_HOUR, LAST_HOUR
    if not days:
        return first, last
    lo, hi = _instant(days[0], 0, tz), _instant(days[-1], 24, tz)
    for start, end in [(e.start, e.end) for e in entries] + spans:
        if end <= lo or start >= hi:
            continue
        local_start, local_end = max(start, lo).astimezone(tz), min(end, hi).astimezone(tz)
        first = min(first, local_start.hour)
        if min(end, hi) == hi or local_end.date() > local_start.date():
            last = 24
        else:
            last = max(last, local_end.hour + (1 if (local_end.minute or local_end.second) else 0))
    return first, last


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _marks(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[Mark, ...]:
    """One mark per real hour, labelled with the wall clock then; a label seen before is a repeat."""
    marks, seen, instant = [], set(), start
    while instant < end:
        label = instant.astimezone(tz).strftime("%H:%M")
        marks.append(Mark(_minutes(instant - start), label, repeated=label in seen))
        seen.add(label)
        instant += HOUR
    return tuple(marks)


def _clip(spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
          ) -> list[tuple[int, int, bool, bool]]:
    out = []
    for a, b in spans:
        if a < end and b > start:
            top = _minutes(max(a, start) - start)
            out.append((top, max(1, _minutes(min(b, end) - start) - top), a < start, b > end))
    return out


def _lanes(start: datetime, end: datetime, entries: list[Entry]) -> tuple[Placed, ...]:
    """Side by side where they overlap: each entry takes the first free lane of its overlapping group."""
    placed: list[Placed] = []
    group: list[tuple[Entry, int]] = []
    lane_ends: list[datetime] = []
    group_end: datetime | None = None

    def close_group() -> None:
        for entry, lane in group:
            ((top, height, before, after),) = _clip([(entry.start, entry.end)], start, end)
            placed.append(Placed(entry, top, height, lane, len(lane_ends), before, after))
        group.clear()
        lane_ends.clear()

    for entry in entries:  # sorted by start
        if group_end is not None and entry.start >= group_end:
            close_group()
            group_end = None
        lane = next((n for n, busy_until in enumerate(lane_ends) if busy_until <= entry.start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(entry.end)
        else:
            lane_ends[lane] = entry.end
        group.append((entry, lane))
        group_end = entry.end if group_end is None else max(group_end, entry.end)
    close_group()
    return tuple(placed)
