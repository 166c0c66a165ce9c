"""Diary times typed in the patient's zone, across the clock changes (Europe/London, 2026)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.diary.entries import DiaryError, local_input_value, parse_local

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 10, 26, 12, tzinfo=timezone.utc)


def test_an_ambiguous_time_when_the_clocks_go_back_is_the_first_one():
    # 25 October 2026: 01:30 happens twice in London (BST, then GMT); the first is 00:30 UTC.
    assert parse_local("2026-10-25T01:30", LONDON, now=NOW) == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(DiaryError) as refused:
        parse_local("2026-03-29T01:15", LONDON, now=datetime(2026, 3, 30, tzinfo=timezone.utc))
    assert "clocks went forward" in refused.value.errors["occurred_at"]


def test_summer_and_winter_times_convert_with_their_own_offset():
    assert parse_local("2026-10-24T18:00", LONDON, now=NOW) == datetime(2026, 10, 24, 17, tzinfo=timezone.utc)
    assert parse_local("2026-10-26T09:00", LONDON, now=NOW) == datetime(2026, 10, 26, 9, tzinfo=timezone.utc)
    assert local_input_value(datetime(2026, 10, 24, 17, tzinfo=timezone.utc), LONDON) == "2026-10-24T18:00"


def test_blank_is_now_and_a_zone_in_the_text_is_refused():
    assert parse_local("", LONDON, now=NOW) == NOW
    with pytest.raises(DiaryError):
        parse_local("2026-10-26T09:00+02:00", LONDON, now=NOW)
