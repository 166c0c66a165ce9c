"""The calendar grid's layout: real-time columns (DST days are 23 and 25 hours), wall-clock hour marks,
entries clipped to their day and set side by side where they overlap."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.calendar_grid import Entry, build, day_bounds, week_of

UTC = timezone.utc
NY, LONDON = "America/New_York", "Europe/London"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "day", "hours"), [
    (NY, date(2026, 3, 8), 23),  # spring forward
    (NY, date(2026, 11, 1), 25),  # fall back
    (NY, date(2026, 11, 2), 24),
    (LONDON, date(2026, 3, 29), 23),
    (LONDON, date(2026, 10, 25), 25),
    ("Asia/Tokyo", date(2026, 3, 8), 24),  # no DST
    ("Australia/Lord_Howe", date(2026, 4, 5), 24),  # a half-hour change: 24.5 hours, shown as its whole hours
])
def test_a_column_knows_how_long_its_day_really_is(zone, day, hours):
    grid = build([day], zone, [], [], now=at(2020, 1, 1))
    assert grid.columns[0].day_hours == hours
    start, end = day_bounds(day, zone)
    assert round((end - start) / timedelta(hours=1)) == hours


def test_whole_days_on_a_fall_back_week_show_the_repeated_hour_twice_and_a_longer_column():
    # An entry at 00:30 local widens the shown hours to the whole day.
    early = Entry(at(2026, 11, 1, 4, 30), at(2026, 11, 1, 5, 0), "appointment", "early")
    grid = build(week_of(date(2026, 11, 1)), NY, [early], [], now=at(2026, 10, 1))
    by_day = {c.day: c for c in grid.columns}
    saturday, sunday = by_day[date(2026, 10, 31)], by_day[date(2026, 11, 1)]  # the week ends on the change
    assert (grid.first_hour, sunday.minutes, saturday.minutes) == (0, (20 + 1) * 60, 20 * 60)
    labels = [m.label for m in sunday.marks]
    assert labels[:4] == ["00:00", "01:00", "01:00", "02:00"] and len(labels) == 21
    assert [m.repeated for m in sunday.marks[:4]] == [False, False, True, False]
    assert sunday.clock_change == "Clocks go back: a 25-hour day" and saturday.clock_change is None


def test_after_spring_forward_a_visit_sits_where_its_real_time_is():
    # 03:00 EDT on 8 March is two real hours after midnight: 02:00 never happens.
    visit = Entry(at(2026, 3, 8, 7, 0), at(2026, 3, 8, 8, 0), "appointment", "visit")
    night = Entry(at(2026, 3, 8, 5, 0), at(2026, 3, 8, 5, 30), "busy", "night")
    (column,) = build([date(2026, 3, 8)], NY, [visit, night], [], now=at(2026, 1, 1)).columns
    placed = {p.entry.label: p for p in column.placed}
    assert placed["visit"].top == 120 and placed["visit"].height == 60
    assert [m.label for m in column.marks][:3] == ["00:00", "01:00", "03:00"]
    assert column.clock_change == "Clocks go forward: a 23-hour day"


@pytest.mark.parametrize(("entries", "lanes"), [
    # (start hour, end hour) pairs on one day -> (lane, lanes) of each
    ([(9, 10), (10, 11)], [(0, 1), (0, 1)]),  # touching is not overlapping
    ([(9, 11), (10, 12)], [(0, 2), (1, 2)]),
    ([(9, 12), (9, 10), (10, 11)], [(0, 2), (1, 2), (1, 2)]),  # a freed lane is reused
    ([(9, 10), (9, 10), (9, 10)], [(0, 3), (1, 3), (2, 3)]),
])
def test_overlapping_entries_share_the_column_side_by_side(entries, lanes):
    items = [Entry(at(2026, 12, 7, a), at(2026, 12, 7, b), "appointment", str(n)) for n, (a, b) in enumerate(entries)]
    (column,) = build([date(2026, 12, 7)], "UTC", items, [], now=at(2026, 1, 1)).columns
    assert [(p.lane, p.lanes) for p in sorted(column.placed, key=lambda p: int(p.entry.label))] == lanes


def test_entries_are_clipped_to_their_day_and_say_so():
    holiday = Entry(at(2026, 12, 6, 12), at(2026, 12, 9, 12), "time_off", "Holiday")
    grid = build([date(2026, 12, 7)], "UTC", [holiday], [], now=at(2026, 1, 1))
    ((placed,),) = [c.placed for c in grid.columns]
    assert (grid.first_hour, grid.last_hour) == (0, 24)
    assert (placed.top, placed.height, placed.cut_before, placed.cut_after) == (0, 24 * 60, True, True)


def test_open_hours_are_shaded_and_now_is_marked_only_on_today():
    days = [date(2026, 12, 7), date(2026, 12, 8)]
    grid = build(days, "UTC", [], [(at(2026, 12, 7, 9), at(2026, 12, 7, 17))], now=at(2026, 12, 8, 10, 30))
    monday, tuesday = grid.columns
    assert (grid.first_hour, grid.last_hour) == (7, 20)
    assert monday.open == ((120, 480),) and tuesday.open == ()
    assert monday.now_top is None and tuesday.now_top == 210


def test_a_week_runs_monday_to_sunday():
    assert week_of(date(2026, 12, 10)) == [date(2026, 12, 7) + timedelta(days=n) for n in range(7)]


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 8), 8), (date(2026, 3, 9), 8), (date(2026, 11, 1), 8)])
def test_open_hours_are_aware_utc_spans_that_keep_the_wall_clock_across_dst(day, hours):
    from datetime import time

    from app.scheduling.availability import WeeklyRule, open_hours

    rules = [WeeklyRule(d, time(9), time(17)) for d in range(7)]
    (span,) = open_hours(zone=NY, rules=rules, first_day=day, last_day=day)
    assert span.start.tzinfo is not None and span.start.utcoffset() == timedelta(0)
    assert span.start.astimezone(ZoneInfo(NY)).hour == 9 and (span.end - span.start) == timedelta(hours=hours)
