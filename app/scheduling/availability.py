"""Pure slot engine: which appointment start times are open.

Plain values in, plain values out: no Flask, no database and no clock (the
caller passes ``now``). Every instant going in must be timezone-aware; every
instant coming out is in UTC (``tzinfo=datetime.timezone.utc``).

Semantics
---------
Open time.  Weekly rules are expanded per *local* date in the practitioner's
IANA zone, so a Monday 09:00-17:00 rule means 09:00-17:00 on the wall clock
every Monday, on both sides of a DST change. A ``DateOverride`` for a local
date replaces that date's weekly rules; one with no ranges closes the day.
A range is ``start < end`` within one local date. ``datetime.time`` cannot say
24:00, so a range cannot run to midnight: end it at 23:59. Ranges of one day
that overlap or touch (09-12 and 12-17) merge into one stretch of open time.

Range endpoints to instants.  An endpoint inside a spring-forward gap moves to
the first instant after the gap (02:30 in New York on 2026-03-08 is 03:00
EDT). On a repeated fall-back hour a start takes the earlier instant (fold=0)
and an end the later one (fold=1), so the range covers the whole repeat.

Candidates.  Starts are local wall-clock times whose time since local midnight
is a multiple of ``granularity`` (whole minutes, at most a day). Every real
instant showing that wall time is a candidate: both on a repeated hour, none
inside a gap, so a wall time that does not exist is never offered.

Open.  A candidate ``s`` is open when all of these hold:
  * its blocked span ``[s - buffer_before, s + duration + buffer_after)``, in
    real elapsed time, lies inside one merged open range of its local date;
  * that span overlaps no ``time_off`` or ``busy`` span (half-open: a and b
    overlap when ``a.start < b.end and b.start < a.end``). Busy spans are other
    appointments' blocked spans (buffers included) and unexpired holds;
  * ``now + min_notice <= s <= now + horizon``;
  * with ``max_per_day`` set, fewer than that many ``capped_starts`` fall on
    the same practitioner-local date.

Errors.  ``ValueError`` for naive datetimes and for invalid ranges, rules,
overrides (two for one date included) and policies. An unknown zone raises
``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``) unchanged: the caller
validates zone names when they are saved.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import chain
from operator import itemgetter
from zoneinfo import ZoneInfo

UTC = timezone.utc
_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_TICK = timedelta(microseconds=1)  # datetime resolution: "x < end" is "x <= end - _TICK"
_Pair = tuple[datetime, datetime]


def _aware_utc(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    # Arithmetic on a zoneinfo datetime is wall-clock arithmetic; in UTC it is real time.
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _check_wall_range(owner: str, start: object, end: object) -> None:
    for label, value in (("start", start), ("end", end)):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise ValueError(f"{owner}.{label} must be a naive datetime.time, got {value!r}")
    if not start < end:  # type: ignore[operator]
        raise ValueError(f"{owner} needs start < end, got {start} to {end}")


@dataclass(frozen=True)
class LocalRange:
    """Wall-clock ``[start, end)`` in the practitioner's zone; start < end, same local date."""
    start: time
    end: time

    def __post_init__(self) -> None:
        _check_wall_range("LocalRange", self.start, self.end)


@dataclass(frozen=True)
class WeeklyRule:
    """Open every ``weekday`` (0 = Monday) from ``start`` to ``end`` local wall-clock time."""
    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"WeeklyRule.weekday must be 0 (Monday) to 6, got {self.weekday!r}")
        _check_wall_range("WeeklyRule", self.start, self.end)


@dataclass(frozen=True)
class DateOverride:
    """Replaces the weekly rules on local date ``day``; no ranges means closed."""
    day: date
    ranges: tuple[LocalRange, ...]

    def __post_init__(self) -> None:
        # A datetime is a date too, but never equal to one, so it would silently match nothing.
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise ValueError(f"DateOverride.day must be a date, got {self.day!r}")
        ranges = tuple(self.ranges)
        if not all(isinstance(r, LocalRange) for r in ranges):
            raise ValueError("DateOverride.ranges must hold LocalRange values")
        object.__setattr__(self, "ranges", ranges)


@dataclass(frozen=True)
class Span:
    """Half-open ``[start, end)`` between aware instants, stored in UTC."""
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start, end = _aware_utc("Span.start", self.start), _aware_utc("Span.end", self.end)
        if not start < end:
            raise ValueError(f"Span needs start < end, got {start} to {end}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def trusted(cls, start: datetime, end: datetime) -> Span:
        """A span from values already known to be aware UTC with start < end (e.g. database rows
        guarded by a check constraint): skips the checks, which dominate when reading many rows."""
        span = object.__new__(cls)
        object.__setattr__(span, "start", start)
        object.__setattr__(span, "end", end)
        return span


@dataclass(frozen=True)
class BusyRuns:
    """Busy spans already merged into sorted, disjoint runs of *naive UTC* instants: what the database
    layer passes as ``busy`` instead of one ``Span`` per row (making hundreds of rows aware, only for the
    engine to compare them, was most of the cost of an uncached answer). Build it with ``merged``."""
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]

    @classmethod
    def merged(cls, pairs: Iterable[_Pair]) -> BusyRuns:
        """From (start, end) pairs of naive UTC datetimes with start < end, in any order (linear when
        sorted by start)."""
        starts, ends = _merge(pairs)
        return cls(tuple(starts), tuple(ends))

    def __len__(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class SlotPolicy:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    granularity: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(hours=24)
    horizon: timedelta = timedelta(days=60)
    max_per_day: int | None = None

    def __post_init__(self) -> None:
        zero = timedelta(0)
        if self.duration <= zero:
            raise ValueError("SlotPolicy.duration must be positive")
        if min(self.buffer_before, self.buffer_after, self.min_notice, self.horizon) < zero:
            raise ValueError("SlotPolicy buffers, min_notice and horizon must not be negative")
        # Whole minutes keep the grid finite and every grid time a real clock reading.
        if not _MINUTE <= self.granularity <= _DAY or self.granularity % _MINUTE:
            raise ValueError("SlotPolicy.granularity must be whole minutes, from 1 minute to 1 day")
        if self.max_per_day is not None and not (isinstance(self.max_per_day, int)
                                                 and self.max_per_day >= 0):
            raise ValueError("SlotPolicy.max_per_day must be None or an int >= 0")


def blocked_span(start: datetime, policy: SlotPolicy) -> Span:
    """The time an appointment starting at ``start`` keeps from others, buffers included."""
    start = _aware_utc("start", start)
    return Span(start - policy.buffer_before, start + policy.duration + policy.buffer_after)


def local_days(zone: str, window_start: datetime, window_end: datetime) -> list[date]:
    """Local dates in ``zone`` from that of ``window_start`` to that of the window's last instant."""
    first, end = _aware_utc("window_start", window_start), _aware_utc("window_end", window_end)
    if first >= end:
        return []
    tz = ZoneInfo(zone)
    return list(_dates(first.astimezone(tz).date(), (end - _TICK).astimezone(tz).date()))


def open_slots(*, zone: str, rules: Sequence[WeeklyRule], overrides: Sequence[DateOverride] = (),
               time_off: Sequence[Span] = (), busy: Sequence[Span] | BusyRuns = (),
               capped_starts: Sequence[datetime] = (), policy: SlotPolicy, now: datetime,
               window_start: datetime, window_end: datetime) -> list[datetime]:
    """Sorted, unique UTC starts of open slots with ``window_start <= start < window_end``.

    Spans may come in any order; ordered by start they sort in linear time. ``busy`` may also be a
    ``BusyRuns`` (naive UTC, merged once by the caller).

    Internally every instant is naive UTC (comparisons and arithmetic without tzinfo are cheaper);
    only the open starts found are made aware.
    """
    tz = ZoneInfo(zone)
    now = _aware_utc("now", now)
    first = max(_aware_utc("window_start", window_start), now + policy.min_notice)
    last = min(_aware_utc("window_end", window_end) - _TICK, now + policy.horizon)
    weekly, by_date = _index_rules(rules, overrides)
    counts = _starts_per_day(capped_starts, tz, first - 2 * _DAY, last + 2 * _DAY)
    if first > last:
        return []
    blockers = _Blockers.build(time_off, busy)
    found: list[datetime] = []
    unordered = False
    naive_first, naive_last = _naive(first), _naive(last)
    # Pad a day each side: a fall-back across midnight would make local dates step back.
    for day in _dates(first.astimezone(tz).date() - _DAY, last.astimezone(tz).date() + _DAY):
        if policy.max_per_day is not None and counts.get(day, 0) >= policy.max_per_day:
            continue
        ranges = by_date[day] if day in by_date else weekly.get(day.weekday(), ())
        if ranges and not _day_slots(found, day, ranges, tz, policy, blockers, naive_first, naive_last):
            unordered = True
    # Days of one offset add their starts in order, each once; a day whose offset changes may not.
    return sorted(set(found)) if unordered else found


def is_open(start: datetime, *, zone: str, rules: Sequence[WeeklyRule],
            overrides: Sequence[DateOverride] = (), time_off: Sequence[Span] = (),
            busy: Sequence[Span] | BusyRuns = (), capped_starts: Sequence[datetime] = (),
            policy: SlotPolicy, now: datetime) -> bool:
    """Whether ``start`` is an open slot; agrees with ``open_slots`` by construction."""
    start = _aware_utc("start", start)
    return start in open_slots(zone=zone, rules=rules, overrides=overrides, time_off=time_off,
                               busy=busy, capped_starts=capped_starts, policy=policy, now=now,
                               window_start=start, window_end=start + _TICK)


def open_hours(*, zone: str, rules: Sequence[WeeklyRule], overrides: Sequence[DateOverride] = (),
               first_day: date, last_day: date) -> list[Span]:
    """Her open hours on the local dates ``first_day`` to ``last_day`` as real spans (the same expansion
    ``open_slots`` uses: an override replaces the day's weekly rules, gaps and repeats resolved alike)."""
    tz = ZoneInfo(zone)
    weekly, by_date = _index_rules(rules, overrides)
    spans: list[Span] = []
    for day in _dates(first_day, last_day):
        ranges = by_date[day] if day in by_date else weekly.get(day.weekday(), ())
        # The engine works in naive UTC inside; what leaves it is aware UTC, as the module promises.
        spans.extend(Span.trusted(a.replace(tzinfo=UTC), b.replace(tzinfo=UTC))
                     for a, b in _day_spans(day, ranges, tz))
    return spans


# --- helpers -----------------------------------------------------------------------------------

def _naive(instant: datetime) -> datetime:
    """An aware UTC datetime as naive UTC."""
    return instant.replace(tzinfo=None)


def _dates(first: date, last: date) -> Iterator[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def _index_rules(rules: Sequence[WeeklyRule], overrides: Sequence[DateOverride]
                 ) -> tuple[dict[int, list[LocalRange]], dict[date, tuple[LocalRange, ...]]]:
    weekly: dict[int, list[LocalRange]] = {}
    for rule in rules:
        weekly.setdefault(rule.weekday, []).append(LocalRange(rule.start, rule.end))
    by_date: dict[date, tuple[LocalRange, ...]] = {}
    for override in overrides:
        if override.day in by_date:
            raise ValueError(f"two DateOverrides for {override.day}; combine their ranges")
        by_date[override.day] = override.ranges
    return weekly, by_date


def _starts_per_day(starts: Iterable[datetime], tz: ZoneInfo, lo: datetime, hi: datetime
                    ) -> dict[date, int]:
    counts: dict[date, int] = {}
    for raw in starts:
        start = _aware_utc("capped_starts item", raw)
        if lo <= start <= hi:  # only days near the window can matter
            day = start.astimezone(tz).date()
            counts[day] = counts.get(day, 0) + 1
    return counts


def _offsets(wall: datetime, tz: ZoneInfo) -> tuple[timedelta, timedelta]:
    """UTC offsets zoneinfo gives ``wall`` with fold=0 and fold=1 (PEP 495)."""
    return (wall.replace(tzinfo=tz, fold=0).utcoffset(),  # type: ignore[return-value]
            wall.replace(tzinfo=tz, fold=1).utcoffset())


def _instants(wall: datetime, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Every real instant whose local reading is ``wall``, earliest first."""
    early, late = _offsets(wall, tz)
    first = (wall - early).replace(tzinfo=UTC)
    if early == late:
        return (first,)
    if early > late:  # offset drops: the wall time repeats
        return (first, (wall - late).replace(tzinfo=UTC))
    return ()  # offset jumps: the wall time is skipped


def _endpoint(wall: datetime, tz: ZoneInfo, *, is_end: bool) -> datetime:
    early, late = _offsets(wall, tz)
    if early < late:
        return _gap_end(wall, tz, early, late)
    return (wall - (late if is_end else early)).replace(tzinfo=UTC)


def _gap_end(wall: datetime, tz: ZoneInfo, before: timedelta, after: timedelta) -> datetime:
    """First instant after the gap holding ``wall``, found by bisecting the transition."""
    lo = (wall - after).replace(tzinfo=UTC)   # still on the old offset
    hi = (wall - before).replace(tzinfo=UTC)  # already on the new one
    while hi - lo > _TICK:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi


def _day_spans(day: date, ranges: Iterable[LocalRange], tz: ZoneInfo) -> list[_Pair]:
    spans = []
    for r in ranges:
        start = _endpoint(datetime.combine(day, r.start), tz, is_end=False)
        end = _endpoint(datetime.combine(day, r.end), tz, is_end=True)
        if start < end:  # a range wholly inside a gap has no real time
            spans.append((_naive(start), _naive(end)))
    return list(zip(*_merge(spans), strict=False))


def _merge(spans: Iterable[_Pair]) -> tuple[list[datetime], list[datetime]]:
    """The union of half-open spans as sorted disjoint runs (starts, ends)."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    # Sorting by start alone is cheaper, and linear when the caller's spans come ordered.
    for start, end in sorted(spans, key=itemgetter(0)):
        if ends and start <= ends[-1]:  # touching runs join: nothing fits between them
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


@dataclass(frozen=True)
class _Blockers:
    """Busy and time-off spans merged into disjoint sorted runs of naive UTC instants."""
    starts: Sequence[datetime]
    ends: Sequence[datetime]

    @classmethod
    def build(cls, time_off: Iterable[Span], busy: Sequence[Span] | BusyRuns) -> _Blockers:
        extra = [(_naive(s.start), _naive(s.end)) for s in time_off]
        if isinstance(busy, BusyRuns):
            if not extra:
                return cls(busy.starts, busy.ends)
            return cls(*_merge(chain(zip(busy.starts, busy.ends, strict=True), extra)))
        return cls(*_merge(chain(extra, ((_naive(s.start), _naive(s.end)) for s in busy))))

    def hit(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.ends, start)  # first run ending after ``start``
        return i < len(self.starts) and self.starts[i] < end


def _day_slots(found: list[datetime], day: date, ranges: Sequence[LocalRange], tz: ZoneInfo, policy: SlotPolicy,
               blockers: _Blockers, first: datetime, last: datetime) -> bool:
    """Add the open starts of ``day`` (aware UTC) to ``found``; ``first`` and ``last`` are naive UTC.
    False when the day's offset changes (its starts may then come out of order).

    A blocker run ``[rs, re)`` rules out the starts ``s`` whose blocked span ``[s - lead, s + tail)``
    meets it: ``rs - tail < s < re + lead``. On a day of one UTC offset the grid is cut to what lies
    between those by arithmetic, walking the runs once, instead of testing every grid time."""
    lead, tail = policy.buffer_before, policy.duration + policy.buffer_after
    step = policy.granularity
    midnight = datetime(day.year, day.month, day.day)
    offset = _steady_offset(midnight, tz)
    if offset is None:  # the offset changes today: place each endpoint and test each real instant
        for a, b in _day_spans(day, ranges, tz):
            lo, hi = max(a + lead, first), min(b - tail, last)
            found.extend(start.replace(tzinfo=UTC) for start in _changing_day_grid(midnight, tz, step, lo, hi)
                         if not blockers.hit(start - lead, start + tail))
        return False
    base = midnight - offset
    aware_base = base.replace(tzinfo=UTC)
    last_k = -(-_DAY // step) - 1  # the day's last grid time
    run_starts, run_ends = blockers.starts, blockers.ends
    runs = len(run_starts)
    # One offset all day: a wall time is an instant by subtraction (what _endpoint finds too).
    starts, ends = _merge((datetime.combine(day, r.start) - offset, datetime.combine(day, r.end) - offset)
                          for r in ranges)
    for a, b in zip(starts, ends, strict=True):  # merged, so each start belongs to one span at most
        free_from, hi = max(a + lead, first), min(b - tail, last)
        i = bisect_right(run_ends, free_from - lead)  # the first run that rules out a start >= free_from
        while free_from <= hi:
            free_to = run_starts[i] - tail if i < runs else hi
            if free_to > hi:
                free_to = hi
            if free_to >= free_from:  # the grid times in [free_from, free_to]
                k0, k1 = max(0, -((base - free_from) // step)), min(last_k, (free_to - base) // step)
                found.extend([aware_base + k * step for k in range(k0, k1 + 1)])
            if i >= runs:
                break
            free_from = max(free_from, run_ends[i] + lead)
            i += 1
    return True


def _changing_day_grid(midnight: datetime, tz: ZoneInfo, step: timedelta, lo: datetime, hi: datetime
                       ) -> list[datetime]:
    """Real instants (naive UTC) of the wall-clock grid of a day whose offset changes, within
    ``[lo, hi]``. Filtered by instant, not wall time: after a fall-back a start whose wall time
    precedes its range's can still lie inside the range's real span."""
    count = -(-_DAY // step)
    return [s for k in range(count) for s in map(_naive, _instants(midnight + k * step, tz)) if lo <= s <= hi]


def _steady_offset(midnight: datetime, tz: ZoneInfo) -> timedelta | None:
    """The day's one UTC offset, or None when it changes during the day.

    Comparing the day's first and last wall times suffices because no zone changes
    offset twice within a day (tzdata's transitions are all over three days apart).
    """
    offsets = {*_offsets(midnight, tz), *_offsets(midnight + _DAY - _TICK, tz)}
    return offsets.pop() if len(offsets) == 1 else None
