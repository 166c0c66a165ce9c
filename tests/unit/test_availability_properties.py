"""Property tests for the slot engine, checked against a minute-by-minute brute-force reading.

Scenarios centre on 2026's DST changes in zones with hour, half-hour and 45-minute offsets.
The oracle never converts wall time to instants: it walks real minutes and reads the clock,
so it shares no conversion logic with the engine. Every zone here changes offset only on
whole minutes, which is what lets a one-minute walk be exact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling.availability import (
    DateOverride,
    LocalRange,
    SlotPolicy,
    Span,
    WeeklyRule,
    is_open,
    open_slots,
)

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham",
         "America/Los_Angeles", "Pacific/Auckland"]


def offset_changes_in_2026(zone: str) -> list[date]:
    """Local dates on which the zone's UTC offset changes, found by asking zoneinfo day by day."""
    tz = ZoneInfo(zone)
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    return [d for d in days if datetime.combine(d, time(), tz).utcoffset()
            != datetime.combine(d + timedelta(days=1), time(), tz).utcoffset()]


CHANGES = {zone: offset_changes_in_2026(zone) for zone in ZONES}
# Scenarios crowd around each zone's DST changes; an ordinary June day keeps the rest honest.
FOCUS_DAYS = {zone: [*CHANGES[zone] * 2, date(2026, 6, 15)] for zone in ZONES}
SETTINGS = settings(max_examples=100, deadline=None, database=None)


@dataclass
class Scenario:
    zone: str
    rules: list[WeeklyRule]
    overrides: list[DateOverride]
    time_off: list[Span]
    busy: list[Span]
    capped_starts: list[datetime]
    policy: SlotPolicy
    now: datetime
    window_start: datetime
    window_end: datetime
    result: list[datetime] = field(init=False)
    _runs: dict[date, list[tuple[datetime, datetime]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.result = open_slots(**self.kwargs(), window_start=self.window_start, window_end=self.window_end)

    def kwargs(self) -> dict:
        return dict(zone=self.zone, rules=self.rules, overrides=self.overrides, time_off=self.time_off,
                    busy=self.busy, capped_starts=self.capped_starts, policy=self.policy, now=self.now)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def blocked(self, start: datetime) -> tuple[datetime, datetime]:
        return start - self.policy.buffer_before, start + self.policy.duration + self.policy.buffer_after

    def ranges_on(self, day: date) -> list[LocalRange]:
        for override in self.overrides:
            if override.day == day:
                return list(override.ranges)
        return [LocalRange(r.start, r.end) for r in self.rules if r.weekday == day.weekday()]


def mins(n: int) -> timedelta:
    return timedelta(minutes=n)


@lru_cache(maxsize=None)  # building strategies is slow in hypothesis; these are reused a lot
def likely(*common: int, lo: int, hi: int) -> st.SearchStrategy[int]:
    """A typical value, a quarter-hour multiple (so boundaries meet exactly) or anything in [lo, hi]."""
    quarters = st.integers(-(-lo // 15), hi // 15).map(lambda n: 15 * n)
    return st.sampled_from(common) | quarters | st.integers(lo, hi)


LAST_MINUTE = 23 * 60 + 59
# Wall times in or at the edge of a gap or a repeat somewhere: 01:30, 01:45, 02:15, 02:30, 02:45, 03:15.
EDGY = (90, 105, 135, 150, 165, 195)
# Opening hours that straddle the small-hours DST changes, and an ordinary day.
DAILY_HOURS = [(time(0), time(5)), (time(1), time(4)), (time(1, 30), time(3, 15)), (time(0, 45), time(2, 30)),
               (time(0), time(1, 30)), (time(0, 30), time(1, 45)), (time(9), time(17))]
GRANULARITIES = [15, 5, 10, 20, 30, 45, 60, 90]


@st.composite
def local_ranges(draw) -> tuple[time, time]:
    start = draw(likely(540, 0, 60, 120, *EDGY, 780, 840, lo=0, hi=LAST_MINUTE - 1))
    end = draw(ends_after(start))
    return time(start // 60, start % 60), time(end // 60, end % 60)


@st.composite
def override_ranges(draw) -> tuple[LocalRange, ...]:
    return tuple(LocalRange(*draw(local_ranges())) for _ in range(draw(likely(1, lo=0, hi=2))))


@lru_cache(maxsize=None)
def ends_after(start: int) -> st.SearchStrategy[int]:
    ends = [e for e in (*EDGY, 300, 1020, 1200, LAST_MINUTE) if e > start]
    return st.sampled_from(ends) | st.integers(start + 1, min(start + 14 * 60, LAST_MINUTE))


@st.composite
def spans(draw, around: datetime, longest: int) -> Span:
    start = around + mins(draw(likely(0, 60, lo=-12 * 60, hi=4 * 1440)))
    return Span(start, start + mins(draw(likely(30, 60, lo=1, hi=longest))))


@st.composite
def policies(draw, **fixed) -> SlotPolicy:
    drawn = dict(
        duration=mins(draw(likely(60, 30, 45, 90, lo=5, hi=150))),
        buffer_before=mins(draw(likely(0, 15, lo=0, hi=30))),
        buffer_after=mins(draw(likely(0, 10, lo=0, hi=30))),
        granularity=mins(draw(st.sampled_from(GRANULARITIES))),
        min_notice=mins(draw(likely(0, 60, 1440, lo=0, hi=12 * 60))),
        horizon=mins(draw(likely(60 * 1440, 4 * 1440, lo=12 * 60, hi=7 * 1440))),
        max_per_day=draw(st.sampled_from([None, None, None, None, 2, 1, 3, 0])))
    return SlotPolicy(**{**drawn, **fixed})


@st.composite
def scenarios(draw) -> Scenario:
    """A few days around a DST change (or an ordinary day) with everything drawn at random."""
    zone = draw(st.sampled_from(ZONES))
    focus = datetime.combine(draw(st.sampled_from(FOCUS_DAYS[zone])), time(2), ZoneInfo(zone))
    window_start = focus.astimezone(UTC) - mins(draw(likely(1440, 720, lo=0, hi=2 * 1440)))
    window_end = window_start + mins(draw(likely(2 * 1440, 3 * 1440, lo=6 * 60, hi=3 * 1440)))
    now = window_start - mins(draw(likely(0, 1440, lo=-720, hi=2 * 1440)))
    every_day = [draw(st.sampled_from(DAILY_HOURS) | local_ranges())] * draw(st.sampled_from([7, 7, 0]))
    extra = [(draw(st.integers(0, 6)), draw(local_ranges())) for _ in range(draw(st.integers(0, 5)))]
    first_day = window_start.astimezone(ZoneInfo(zone)).date()
    override_days = draw(st.lists(st.integers(-1, 4), max_size=2, unique=True))
    overrides = [DateOverride(first_day + timedelta(days=d), draw(override_ranges())) for d in override_days]
    capped = draw(st.lists(likely(0, lo=-1440, hi=4 * 1440), max_size=6))
    return Scenario(
        zone=zone, rules=[WeeklyRule(d, *r) for d, r in [*enumerate(every_day), *extra]], overrides=overrides,
        time_off=draw(st.lists(spans(window_start, 1440), max_size=1)),
        busy=draw(st.lists(spans(window_start, 180), max_size=6)),
        capped_starts=[window_start + mins(m) for m in capped],
        policy=draw(policies()), now=now, window_start=window_start, window_end=window_end)


@st.composite
def dst_nights(draw) -> Scenario:
    """Small-hours opening on a DST change day with little else in the way: the hard cases, often."""
    zone = draw(st.sampled_from([zone for zone in ZONES if CHANGES[zone]]))
    day_before = draw(st.sampled_from(CHANGES[zone])) - timedelta(days=1)
    window_start = datetime.combine(day_before, time(18), ZoneInfo(zone)).astimezone(UTC)
    hours = draw(st.sampled_from(DAILY_HOURS[:-1]) | local_ranges())
    return Scenario(
        zone=zone, rules=[WeeklyRule(d, *hours) for d in range(7)], overrides=[], time_off=[],
        busy=draw(st.lists(spans(window_start + timedelta(hours=6), 90), max_size=2)), capped_starts=[],
        policy=draw(policies(min_notice=timedelta(0), horizon=timedelta(days=60), max_per_day=None)),
        now=window_start - timedelta(days=1), window_start=window_start,
        window_end=window_start + timedelta(hours=18))


ANY = scenarios() | dst_nights()


# --- the oracle ------------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def minutes_of_day(zone: str, day: date) -> tuple[tuple[datetime, time], ...]:
    """Every whole UTC minute whose local date is `day`, with its local wall time."""
    tz = ZoneInfo(zone)
    out, u = [], datetime.combine(day, time(), UTC) - timedelta(hours=15)
    while u < datetime.combine(day, time(), UTC) + timedelta(hours=39):
        local = u.astimezone(tz)
        if local.date() == day:
            out.append((u, local.time()))
        u += MINUTE
    return tuple(out)


@lru_cache(maxsize=4096)
def real_span(zone: str, day: date, r: LocalRange) -> tuple[datetime, datetime] | None:
    """The range read as the docs say, by watching the clock: the first minute showing `start`
    or later, to the last minute showing `end` (or, if `end` never shows, the first after it)."""
    clock = minutes_of_day(zone, day)
    start = next((u for u, wall in clock if wall >= r.start), None)
    showing_end = [u for u, wall in clock if wall == r.end]
    end = showing_end[-1] if showing_end else next((u for u, wall in clock if wall > r.end), None)
    return (start, end) if start is not None and end is not None and start < end else None


def open_runs(sc: Scenario, day: date) -> list[tuple[datetime, datetime]]:
    if day not in sc._runs:
        sc._runs[day] = merged(filter(None, (real_span(sc.zone, day, r) for r in sc.ranges_on(day))))
    return sc._runs[day]


def merged(spans) -> list[tuple[datetime, datetime]]:
    runs: list[list[datetime]] = []
    for a, b in sorted(spans):
        if runs and a <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs]


def inside_open_range(sc: Scenario, start: datetime) -> bool:
    lo, hi = sc.blocked(start)
    return any(a <= lo and hi <= b for a, b in open_runs(sc, start.astimezone(sc.tz).date()))


def overlaps_blocker(sc: Scenario, start: datetime) -> bool:
    lo, hi = sc.blocked(start)
    return any(s.start < hi and lo < s.end for s in sc.time_off + sc.busy)


def on_grid(sc: Scenario, start: datetime) -> bool:
    wall = start.astimezone(sc.tz)
    since_midnight = timedelta(hours=wall.hour, minutes=wall.minute, seconds=wall.second,
                               microseconds=wall.microsecond)
    return since_midnight % sc.policy.granularity == timedelta(0)


def under_cap(sc: Scenario, start: datetime) -> bool:
    if sc.policy.max_per_day is None:
        return True
    day = start.astimezone(sc.tz).date()
    return sum(c.astimezone(sc.tz).date() == day for c in sc.capped_starts) < sc.policy.max_per_day


def oracle(sc: Scenario) -> list[datetime]:
    first = max(sc.window_start, sc.now + sc.policy.min_notice)
    last = min(sc.window_end - timedelta(microseconds=1), sc.now + sc.policy.horizon)
    # Every local date the window touches, and one either side (not just the dates of its two ends).
    first_day, last_day = first.astimezone(sc.tz).date(), last.astimezone(sc.tz).date()
    days = {first_day + timedelta(days=d) for d in range(-1, (last_day - first_day).days + 2)}
    step = sc.policy.granularity // MINUTE
    return sorted(u for day in days for u, wall in minutes_of_day(sc.zone, day)
                  if first <= u <= last and (wall.hour * 60 + wall.minute) % step == 0
                  and under_cap(sc, u) and not overlaps_blocker(sc, u) and inside_open_range(sc, u))


# --- properties ------------------------------------------------------------------------------------

@settings(SETTINGS, max_examples=300)
@given(ANY)
def test_open_slots_match_a_minute_by_minute_brute_force(sc):
    assert sc.result == oracle(sc)


@SETTINGS
@given(ANY)
def test_every_slot_blocked_span_lies_in_an_open_range_of_its_local_date(sc):
    assert all(inside_open_range(sc, s) for s in sc.result)


@SETTINGS
@given(ANY)
def test_no_slot_overlaps_busy_or_time_off(sc):
    assert not any(overlaps_blocker(sc, s) for s in sc.result)


@SETTINGS
@given(ANY)
def test_no_slot_before_the_notice_or_after_the_horizon(sc):
    assert all(sc.now + sc.policy.min_notice <= s <= sc.now + sc.policy.horizon for s in sc.result)


@SETTINGS
@given(ANY)
def test_slots_are_sorted_unique_utc_and_inside_the_window(sc):
    assert sc.result == sorted(set(sc.result))
    assert all(s.tzinfo is UTC and sc.window_start <= s < sc.window_end for s in sc.result)


@SETTINGS
@given(ANY)
def test_every_slot_wall_time_exists_and_is_on_the_grid(sc):
    for s in sc.result:
        wall = s.astimezone(sc.tz).replace(tzinfo=None)
        # A skipped wall time reads back as another; a real one reads back as itself under either fold.
        for fold in (0, 1):
            assert wall.replace(tzinfo=sc.tz, fold=fold).astimezone(UTC).astimezone(sc.tz).replace(
                tzinfo=None) == wall
        assert on_grid(sc, s)


@SETTINGS
@given(ANY)
def test_no_day_gets_slots_once_capped(sc):
    assert all(under_cap(sc, s) for s in sc.result)


@SETTINGS
@given(ANY, st.lists(st.integers(0, 3 * 1440), max_size=8))
def test_is_open_agrees_with_open_slots_membership(sc, offsets):
    offered = sc.result[:: max(1, len(sc.result) // 6)]
    probes = {sc.window_start + mins(m) for m in offsets} | set(offered)
    probes |= {s + d for s in offered for d in (-sc.policy.granularity, mins(5))}
    for probe in sorted(probes):
        if sc.window_start <= probe < sc.window_end:
            assert is_open(probe, **sc.kwargs()) is (probe in sc.result)
