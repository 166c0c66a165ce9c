"""Examples for the slot engine, DST included. Times are read as local wall clock unless named UTC."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from app.scheduling.availability import (
    DateOverride,
    LocalRange,
    SlotPolicy,
    Span,
    WeeklyRule,
    blocked_span,
    is_open,
    local_days,
    open_slots,
)

UTC = timezone.utc
NY, LA, LONDON = "America/New_York", "America/Los_Angeles", "Europe/London"
LORD_HOWE, AUCKLAND = "Australia/Lord_Howe", "Pacific/Auckland"
MONDAY = date(2026, 6, 1)
EVERY_DAY = range(7)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def at(zone: str, day: date, hh: int, mm: int = 0, fold: int = 0) -> datetime:
    """The UTC instant of a local wall-clock reading."""
    local = datetime(day.year, day.month, day.day, hh, mm, fold=fold, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def rule(weekday: int, start: str, end: str) -> WeeklyRule:
    return WeeklyRule(weekday, time.fromisoformat(start), time.fromisoformat(end))


def rng(start: str, end: str) -> LocalRange:
    return LocalRange(time.fromisoformat(start), time.fromisoformat(end))


def policy(**overrides) -> SlotPolicy:
    values = dict(duration=minutes(60), min_notice=timedelta(0), horizon=timedelta(days=400))
    return SlotPolicy(**{**values, **overrides})


def slots(zone: str = NY, *, days: tuple[date, date] | date = MONDAY, rules=(), **kwargs) -> list[datetime]:
    """open_slots over whole local days, with a `now` long before them unless given."""
    first, last = days if isinstance(days, tuple) else (days, days)
    kwargs.setdefault("policy", policy())
    kwargs.setdefault("now", datetime(2026, 1, 1, tzinfo=UTC))
    return open_slots(zone=zone, rules=rules, window_start=at(zone, first, 0),
                      window_end=at(zone, last + timedelta(days=1), 0), **kwargs)


def walls(found: list[datetime], zone: str = NY) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%H:%M") for s in found]


def grid(first: str, last: str, step: int = 15) -> list[str]:
    start, stop = (datetime.combine(MONDAY, time.fromisoformat(t)) for t in (first, last))
    count = (stop - start) // minutes(step) + 1
    return [(start + i * minutes(step)).strftime("%H:%M") for i in range(count)]


def offset_change(zone: str, day: date) -> timedelta:
    """How the zone's UTC offset moves between `day`'s local midnight and the next, per zoneinfo."""
    tz = ZoneInfo(zone)
    before = datetime.combine(day, time(0), tz).utcoffset()
    after = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
    return after - before


# --- ordinary days ---------------------------------------------------------------------------

def test_weekly_rule_offers_each_grid_start_whose_appointment_ends_by_closing():
    assert walls(slots(rules=[rule(0, "09:00", "17:00")])) == grid("09:00", "16:00")


def test_day_without_a_rule_has_no_slots():
    assert slots(rules=[rule(1, "09:00", "17:00")]) == []


def test_slots_are_utc_instants():
    found = slots(rules=[rule(0, "09:00", "17:00")])
    assert all(s.tzinfo is UTC for s in found)
    assert found[0] == datetime(2026, 6, 1, 13, tzinfo=UTC)  # 09:00 EDT


def test_lunch_break_leaves_a_gap():
    found = slots(rules=[rule(0, "09:00", "12:00"), rule(0, "13:00", "17:00")])
    assert walls(found) == grid("09:00", "11:00") + grid("13:00", "16:00")


def test_touching_ranges_merge_so_a_slot_may_span_the_seam():
    assert "11:30" in walls(slots(rules=[rule(0, "09:00", "12:00"), rule(0, "12:00", "17:00")]))


def test_overlapping_ranges_merge_without_duplicate_slots():
    found = slots(rules=[rule(0, "09:00", "13:00"), rule(0, "12:00", "17:00")])
    assert walls(found) == grid("09:00", "16:00")


def test_buffers_must_fit_inside_the_open_range():
    found = slots(rules=[rule(0, "09:00", "17:00")],
                  policy=policy(buffer_before=minutes(15), buffer_after=minutes(15)))
    assert walls(found) == grid("09:15", "15:45")


def test_busy_span_blocks_every_start_whose_buffered_span_overlaps_it():
    found = walls(slots(rules=[rule(0, "09:00", "17:00")],
                        busy=[Span(at(NY, MONDAY, 12), at(NY, MONDAY, 13))],
                        policy=policy(buffer_before=minutes(15), buffer_after=minutes(15))))
    assert "10:45" in found and "13:15" in found
    assert not set(grid("11:00", "13:00")) & set(found)


def test_busy_span_that_only_touches_a_slot_does_not_block_it():
    found = walls(slots(rules=[rule(0, "09:00", "17:00")],
                        busy=[Span(at(NY, MONDAY, 10), at(NY, MONDAY, 11))]))
    assert found[:2] == ["09:00", "11:00"]


def test_busy_spans_may_arrive_unsorted_and_overlapping():
    busy = [Span(at(NY, MONDAY, 15), at(NY, MONDAY, 16)), Span(at(NY, MONDAY, 10), at(NY, MONDAY, 12)),
            Span(at(NY, MONDAY, 11), at(NY, MONDAY, 11, 30))]
    found = walls(slots(rules=[rule(0, "09:00", "17:00")], busy=busy))
    assert found == ["09:00", "12:00", "12:15", "12:30", "12:45", "13:00", "13:15", "13:30",
                     "13:45", "14:00", "16:00"]


def test_min_notice_hides_starts_too_soon_but_allows_exactly_the_notice():
    found = slots(rules=[rule(0, "09:00", "17:00")], now=at(NY, MONDAY, 8),
                  policy=policy(min_notice=timedelta(hours=2)))
    assert walls(found)[0] == "10:00"


def test_horizon_hides_later_starts_but_allows_exactly_the_horizon():
    found = slots(rules=[rule(0, "09:00", "17:00")], now=at(NY, MONDAY, 10) - timedelta(days=7),
                  policy=policy(horizon=timedelta(days=7)))
    assert walls(found) == grid("09:00", "10:00")


def test_default_policy_needs_a_day_of_notice():
    found = slots(rules=[rule(d, "09:00", "17:00") for d in EVERY_DAY], days=(MONDAY, MONDAY + timedelta(1)),
                  now=at(NY, MONDAY, 12), policy=SlotPolicy(duration=minutes(60)))
    assert found[0] == at(NY, MONDAY + timedelta(1), 12)


@pytest.mark.parametrize("booked, open_monday", [(1, True), (2, False), (3, False)])
def test_max_per_day_closes_a_day_once_that_many_are_booked(booked, open_monday):
    capped = [at(NY, MONDAY, 9 + i) for i in range(booked)]
    found = slots(rules=[rule(0, "09:00", "17:00"), rule(1, "09:00", "17:00")],
                  days=(MONDAY, MONDAY + timedelta(1)), capped_starts=capped,
                  policy=policy(max_per_day=2))
    days = {s.astimezone(ZoneInfo(NY)).date() for s in found}
    assert (MONDAY in days) is open_monday
    assert MONDAY + timedelta(1) in days


def test_max_per_day_counts_by_local_date_not_utc_date():
    late_monday = at(NY, MONDAY, 22)  # 02:00 UTC on Tuesday
    found = slots(rules=[rule(0, "09:00", "17:00"), rule(1, "09:00", "17:00")],
                  days=(MONDAY, MONDAY + timedelta(1)), capped_starts=[late_monday],
                  policy=policy(max_per_day=1))
    assert {s.astimezone(ZoneInfo(NY)).date() for s in found} == {MONDAY + timedelta(1)}


def test_closed_override_removes_the_day():
    assert slots(rules=[rule(0, "09:00", "17:00")], overrides=[DateOverride(MONDAY, ())]) == []


def test_override_ranges_replace_the_weekly_rules():
    found = slots(rules=[rule(0, "09:00", "17:00")],
                  overrides=[DateOverride(MONDAY, (rng("13:00", "15:00"),))])
    assert walls(found) == grid("13:00", "14:00")


def test_override_opens_a_day_without_weekly_rules():
    found = slots(rules=[rule(1, "09:00", "17:00")],
                  overrides=[DateOverride(MONDAY, (rng("10:00", "12:00"),))])
    assert walls(found) == grid("10:00", "11:00")


def test_override_leaves_other_dates_on_weekly_rules():
    next_monday = MONDAY + timedelta(days=7)
    found = slots(rules=[rule(0, "09:00", "17:00")], days=(MONDAY, next_monday),
                  overrides=[DateOverride(MONDAY, ())])
    assert {s.astimezone(ZoneInfo(NY)).date() for s in found} == {next_monday}


def test_time_off_spanning_days_blocks_each_of_them():
    tuesday, wednesday = MONDAY + timedelta(1), MONDAY + timedelta(2)
    found = slots(rules=[rule(d, "09:00", "17:00") for d in EVERY_DAY], days=(MONDAY, wednesday),
                  time_off=[Span(at(NY, MONDAY, 12), at(NY, wednesday, 12))])
    by_day = {d: [s for s in found if s.astimezone(ZoneInfo(NY)).date() == d]
              for d in (MONDAY, tuesday, wednesday)}
    assert walls(by_day[MONDAY]) == grid("09:00", "11:00")
    assert by_day[tuesday] == []
    assert walls(by_day[wednesday]) == grid("12:00", "16:00")


@pytest.mark.parametrize("step, expected", [(15, grid("09:00", "11:00", 15)),
                                            (30, ["09:00", "09:30", "10:00", "10:30", "11:00"]),
                                            (60, ["09:00", "10:00", "11:00"])])
def test_granularity_sets_the_spacing_of_starts(step, expected):
    found = slots(rules=[rule(0, "09:00", "12:00")], policy=policy(granularity=minutes(step)))
    assert walls(found) == expected


def test_grid_counts_from_local_midnight_not_from_the_range_start():
    found = slots(rules=[rule(0, "09:10", "12:00")], policy=policy(granularity=minutes(30)))
    assert walls(found) == ["09:30", "10:00", "10:30", "11:00"]


def test_window_is_half_open():
    found = open_slots(zone=NY, rules=[rule(0, "09:00", "17:00")], policy=policy(),
                       now=datetime(2026, 1, 1, tzinfo=UTC),
                       window_start=at(NY, MONDAY, 10), window_end=at(NY, MONDAY, 11))
    assert walls(found) == ["10:00", "10:15", "10:30", "10:45"]


def test_inputs_in_any_zone_give_the_same_utc_answer():
    tz = ZoneInfo("Asia/Tokyo")
    kwargs = dict(zone=NY, rules=[rule(0, "09:00", "17:00")], policy=policy())
    in_utc = open_slots(**kwargs, now=datetime(2026, 1, 1, tzinfo=UTC),
                        window_start=at(NY, MONDAY, 0), window_end=at(NY, MONDAY, 23))
    in_tokyo = open_slots(**kwargs, now=datetime(2026, 1, 1, tzinfo=UTC).astimezone(tz),
                          window_start=at(NY, MONDAY, 0).astimezone(tz),
                          window_end=at(NY, MONDAY, 23).astimezone(tz))
    assert in_tokyo == in_utc and all(s.tzinfo is UTC for s in in_tokyo)


# --- is_open, blocked_span, local_days ---------------------------------------------------------

def check(start: datetime, **kwargs) -> bool:
    return is_open(start, zone=NY, rules=[rule(0, "09:00", "17:00")], policy=policy(),
                   now=datetime(2026, 1, 1, tzinfo=UTC), **kwargs)


def test_is_open_accepts_an_offered_slot():
    assert check(at(NY, MONDAY, 9, 15))


def test_is_open_rejects_a_start_off_the_grid():
    assert not check(at(NY, MONDAY, 9, 10))


def test_is_open_rejects_a_start_blocked_by_a_busy_span():
    assert not check(at(NY, MONDAY, 9), busy=[blocked_span(at(NY, MONDAY, 9, 30), policy())])


def test_blocked_span_adds_both_buffers_to_the_duration():
    start = datetime(2026, 6, 1, 13, tzinfo=UTC)
    span = blocked_span(start, policy(buffer_before=minutes(10), buffer_after=minutes(20)))
    assert span == Span(start - minutes(10), start + minutes(80))


def test_local_days_lists_the_practitioners_dates_the_window_touches():
    # 02:00 UTC Monday to 02:00 UTC Tuesday is Sunday evening to Monday evening in New York.
    assert local_days(NY, datetime(2026, 6, 1, 2, tzinfo=UTC), datetime(2026, 6, 2, 2, tzinfo=UTC)) == [
        MONDAY - timedelta(1), MONDAY]


# --- validation ----------------------------------------------------------------------------------

def test_naive_now_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        slots(rules=[rule(0, "09:00", "17:00")], now=datetime(2026, 1, 1))


def test_naive_window_is_rejected():
    with pytest.raises(ValueError, match="window_start"):
        open_slots(zone=NY, rules=[], policy=policy(), now=datetime(2026, 1, 1, tzinfo=UTC),
                   window_start=datetime(2026, 6, 1), window_end=datetime(2026, 6, 2, tzinfo=UTC))


def test_naive_span_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        Span(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))


def test_naive_capped_start_is_rejected():
    with pytest.raises(ValueError, match="capped_starts"):
        slots(rules=[], capped_starts=[datetime(2026, 6, 1, 9)], policy=policy(max_per_day=1))


def test_naive_start_for_is_open_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        check(datetime(2026, 6, 1, 9))


def test_empty_or_reversed_span_is_rejected():
    with pytest.raises(ValueError, match="start < end"):
        Span(at(NY, MONDAY, 10), at(NY, MONDAY, 10))


@pytest.mark.parametrize("start, end", [("10:00", "10:00"), ("12:00", "09:00")])
def test_range_needs_start_before_end(start, end):
    with pytest.raises(ValueError, match="start < end"):
        rng(start, end)
    with pytest.raises(ValueError, match="start < end"):
        rule(0, start, end)


def test_weekday_must_be_monday_to_sunday():
    with pytest.raises(ValueError, match="weekday"):
        rule(7, "09:00", "10:00")


def test_override_day_must_be_a_date_not_a_datetime():
    with pytest.raises(ValueError, match="must be a date"):
        DateOverride(datetime(2026, 6, 1), ())


def test_two_overrides_for_one_date_are_rejected():
    with pytest.raises(ValueError, match="two DateOverrides"):
        slots(overrides=[DateOverride(MONDAY, ()), DateOverride(MONDAY, (rng("09:00", "10:00"),))])


@pytest.mark.parametrize("bad", [dict(duration=timedelta(0)), dict(buffer_before=minutes(-1)),
                                 dict(granularity=timedelta(seconds=90)), dict(granularity=timedelta(0)),
                                 dict(min_notice=minutes(-5)), dict(max_per_day=-1)])
def test_policy_rejects_impossible_values(bad):
    with pytest.raises(ValueError, match="SlotPolicy"):
        policy(**bad)


def test_unknown_zone_raises_zoneinfo_not_found():
    with pytest.raises(ZoneInfoNotFoundError):
        open_slots(zone="Mars/Olympus_Mons", rules=[rule(0, "09:00", "17:00")], policy=policy(),
                   now=datetime(2026, 1, 1, tzinfo=UTC), window_start=datetime(2026, 6, 1, tzinfo=UTC),
                   window_end=datetime(2026, 6, 2, tzinfo=UTC))


# --- daylight saving -----------------------------------------------------------------------------

NY_SPRING, NY_FALL = date(2026, 3, 8), date(2026, 11, 1)
LONDON_SPRING, LONDON_FALL = date(2026, 3, 29), date(2026, 10, 25)
LORD_HOWE_BACK, LORD_HOWE_FORWARD = date(2026, 4, 5), date(2026, 10, 4)


@pytest.mark.parametrize("zone, day, change", [
    (NY, NY_SPRING, minutes(60)), (NY, NY_FALL, -minutes(60)),
    (LONDON, LONDON_SPRING, minutes(60)), (LONDON, LONDON_FALL, -minutes(60)),
    (LORD_HOWE, LORD_HOWE_BACK, -minutes(30)), (LORD_HOWE, LORD_HOWE_FORWARD, minutes(30)),
])
def test_the_dst_dates_used_here_are_real_transitions(zone, day, change):
    assert offset_change(zone, day) == change


def by_local_date(found: list[datetime], zone: str) -> dict[date, list[datetime]]:
    out: dict[date, list[datetime]] = {}
    for s in found:
        out.setdefault(s.astimezone(ZoneInfo(zone)).date(), []).append(s)
    return out


@pytest.mark.parametrize("zone, day", [(NY, NY_SPRING), (NY, NY_FALL), (LONDON, LONDON_SPRING),
                                       (LONDON, LONDON_FALL)])
def test_nine_to_five_stays_nine_to_five_on_the_wall_clock_across_a_change(zone, day):
    found = slots(zone, rules=[rule(d, "09:00", "17:00") for d in EVERY_DAY],
                  days=(day - timedelta(1), day + timedelta(1)))
    days = by_local_date(found, zone)
    assert sorted(days) == [day - timedelta(1), day, day + timedelta(1)]
    for same in days.values():
        assert walls(same, zone) == grid("09:00", "16:00")
    shift = days[day][0] - days[day - timedelta(1)][0] - timedelta(days=1)
    assert shift == -offset_change(zone, day)  # same wall time, UTC moved by the change


def test_spring_forward_offers_no_start_in_the_missing_hour():
    found = slots(NY, rules=[rule(6, "00:00", "05:00")], days=NY_SPRING)
    assert walls(found) == grid("00:00", "01:45") + grid("03:00", "04:00")
    assert found[-1] + minutes(60) == at(NY, NY_SPRING, 5)  # the last one ends at closing


def test_fall_back_offers_the_repeated_hour_twice_at_different_instants():
    found = slots(NY, rules=[rule(6, "00:00", "05:00")], days=NY_FALL)
    assert len(found) == len(set(found)) == 21  # 00:00 EDT to 04:00 EST is five real hours
    assert all(b - a == minutes(15) for a, b in zip(found, found[1:], strict=False))
    hours = walls(found)
    counts = [hours.count(w) for w in ("00:45", "01:00", "01:15", "01:30", "01:45", "02:00")]
    assert counts == [1, 2, 2, 2, 2, 1]
    assert at(NY, NY_FALL, 1, 15, fold=1) - at(NY, NY_FALL, 1, 15, fold=0) == minutes(60)
    assert {at(NY, NY_FALL, 1, 15, fold=0), at(NY, NY_FALL, 1, 15, fold=1)} <= set(found)


def test_range_starting_in_the_spring_gap_opens_when_the_gap_ends():
    found = slots(NY, rules=[rule(6, "02:30", "06:00")], days=NY_SPRING)
    assert found[0] == at(NY, NY_SPRING, 3) == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_range_ending_in_the_spring_gap_closes_when_the_gap_ends():
    found = slots(NY, rules=[rule(6, "00:00", "02:30")], days=NY_SPRING)
    assert found[-1] + minutes(60) == at(NY, NY_SPRING, 3)  # 03:00 EDT is 02:00 EST
    assert walls(found) == grid("00:00", "01:00")


def test_range_starting_on_the_repeated_hour_takes_its_first_occurrence():
    found = slots(NY, rules=[rule(6, "01:30", "03:00")], days=NY_FALL)
    assert found[0] == at(NY, NY_FALL, 1, 30, fold=0) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_range_ending_on_the_repeated_hour_takes_its_second_occurrence():
    found = slots(NY, rules=[rule(6, "00:00", "01:30")], days=NY_FALL)
    assert found[-1] + minutes(60) == at(NY, NY_FALL, 1, 30, fold=1)


def test_london_spring_forward_skips_one_oclock():
    found = slots(LONDON, rules=[rule(6, "00:00", "05:00")], days=LONDON_SPRING)
    assert walls(found, LONDON) == grid("00:00", "00:45") + grid("02:00", "04:00")


def test_london_fall_back_repeats_one_oclock():
    found = slots(LONDON, rules=[rule(6, "00:00", "05:00")], days=LONDON_FALL)
    assert len(found) == len(set(found)) == 21
    assert walls(found, LONDON).count("01:30") == 2


def test_lord_howe_half_hour_fall_back_repeats_half_past_one_to_two():
    found = slots(LORD_HOWE, rules=[rule(6, "00:00", "05:00")], days=LORD_HOWE_BACK)
    hours = walls(found, LORD_HOWE)
    assert len(found) == len(set(found)) == 19  # 5.5 real hours open, less the last hour
    assert [hours.count(w) for w in ("01:15", "01:30", "01:45", "02:00")] == [1, 2, 2, 1]


def test_lord_howe_half_hour_spring_forward_skips_two_to_half_past():
    found = slots(LORD_HOWE, rules=[rule(6, "00:00", "05:00")], days=LORD_HOWE_FORWARD)
    assert walls(found, LORD_HOWE) == grid("00:00", "01:45") + grid("02:30", "04:00")


def test_lord_howe_hourly_grid_stays_on_the_hour_across_the_half_hour_jump():
    found = slots(LORD_HOWE, rules=[rule(6, "00:00", "05:00")], days=LORD_HOWE_FORWARD,
                  policy=policy(granularity=minutes(60)))
    assert walls(found, LORD_HOWE) == ["00:00", "01:00", "03:00", "04:00"]  # 02:00 never happens


def test_lord_howe_nine_to_five_keeps_its_wall_clock_across_the_half_hour_change():
    day = LORD_HOWE_FORWARD
    found = slots(LORD_HOWE, rules=[rule(d, "09:00", "17:00") for d in EVERY_DAY],
                  days=(day - timedelta(1), day + timedelta(1)))
    for same in by_local_date(found, LORD_HOWE).values():
        assert walls(same, LORD_HOWE) == grid("09:00", "16:00")


@pytest.mark.parametrize("zone, start, end, utc_dates", [
    (LA, "14:00", "20:00", {MONDAY, MONDAY + timedelta(1)}),  # 17:00 PDT is midnight UTC
    (AUCKLAND, "14:00", "20:00", {MONDAY}),
    (AUCKLAND, "08:00", "12:00", {MONDAY - timedelta(1)}),  # NZST mornings are yesterday in UTC
])
def test_schedules_land_on_their_local_date_whatever_the_utc_date(zone, start, end, utc_dates):
    found = slots(zone, rules=[rule(0, start, end)], days=(MONDAY - timedelta(3), MONDAY + timedelta(3)))
    assert {s.astimezone(ZoneInfo(zone)).date() for s in found} == {MONDAY}
    assert walls(found, zone) == grid(start, f"{int(end[:2]) - 1:02d}:00")
    assert {s.date() for s in found} == utc_dates


def test_open_hours_are_aware_utc_spans_in_her_zone():
    """The calendar grid compares them with appointments' aware instants: a naive span would fail there."""
    from app.scheduling.availability import open_hours

    spans = open_hours(zone="Europe/London", rules=[WeeklyRule(0, time(9), time(17))],
                       first_day=date(2027, 3, 1), last_day=date(2027, 3, 7))
    assert [(s.start, s.end) for s in spans] == [
        (datetime(2027, 3, 1, 9, tzinfo=timezone.utc), datetime(2027, 3, 1, 17, tzinfo=timezone.utc))]
    assert all(s.start.tzinfo is not None and s.end.tzinfo is not None for s in spans)
