"""The zone box understands people (issue 21 point 2): what she types -> the IANA zone, or a message with
suggestions. Never a zone the text did not name. app/timezones.py documents the choices (ambiguous
abbreviations ask; whole-hour offsets are fixed-offset zones; a country with several zones asks)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.timezones import resolve_zone, valid_zone_name, zone_label

RESOLVED = [
    # the examples
    ("Tokyo", "Asia/Tokyo"), ("tokyo", "Asia/Tokyo"), ("JST", "Asia/Tokyo"), ("UTC+9", "Etc/GMT-9"),
    ("GMT-5", "Etc/GMT+5"), ("New York", "America/New_York"), ("London", "Europe/London"),
    ("Asia/tokyo", "Asia/Tokyo"),
    # IANA names in any case and spacing
    ("Asia/Tokyo", "Asia/Tokyo"), ("america/new york", "America/New_York"), ("  AMERICA/NEW_YORK ", "America/New_York"),
    ("US/Eastern", "US/Eastern"), ("UTC", "UTC"), ("utc", "UTC"),
    # abbreviations: the clock people mean (EST is New York's, not IANA's fixed UTC-5 "EST")
    ("EST", "America/New_York"), ("edt", "America/New_York"), ("PT", "America/Los_Angeles"),
    ("PST", "America/Los_Angeles"), ("CET", "Europe/Paris"), ("AEST", "Australia/Sydney"), ("KST", "Asia/Seoul"),
    # offsets
    ("UTC-5", "Etc/GMT+5"), ("gmt+10", "Etc/GMT-10"), ("+09:00", "Etc/GMT-9"), ("UTC+0", "UTC"),
    ("UTC−3", "Etc/GMT+3"), ("UTC+5:30", "Asia/Kolkata"), ("UTC+05:45", "Asia/Kathmandu"), ("UTC+14", "Etc/GMT-14"),
    # cities, with or without accents, and big cities that are not in a zone's name
    ("São Paulo", "America/Sao_Paulo"), ("sao paulo", "America/Sao_Paulo"), ("Los Angeles", "America/Los_Angeles"),
    ("San Francisco", "America/Los_Angeles"), ("Mumbai", "Asia/Kolkata"), ("Beijing", "Asia/Shanghai"),
    ("Kiev", "Europe/Kyiv"), ("Paris", "Europe/Paris"),
    # countries with one zone (or one that almost everyone there means)
    ("Japan", "Asia/Tokyo"), ("japan", "Asia/Tokyo"), ("UK", "Europe/London"), ("United Kingdom", "Europe/London"),
    ("India", "Asia/Kolkata"), ("Germany", "Europe/Berlin"), ("France", "Europe/Paris"), ("South Korea", "Asia/Seoul"),
    ("China", "Asia/Shanghai"), ("New Zealand", "Pacific/Auckland"),
]


@pytest.mark.parametrize("typed, zone", RESOLVED, ids=[t for t, _ in RESOLVED])
def test_what_people_type_resolves_to_the_zone_they_mean(typed, zone):
    answer = resolve_zone(typed)
    assert (answer.zone, answer.message, answer.suggestions) == (zone, "", ())
    assert valid_zone_name(answer.zone)


ASKED = [
    # ambiguous abbreviations ask which, with the choices
    ("IST", "“IST” can mean India, Ireland or Israel", ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem")),
    ("CST", "“CST” can mean US Central, China or Cuba", ("America/Chicago", "Asia/Shanghai", "America/Havana")),
    ("BST", "“BST” can mean British Summer Time or Bangladesh", ("Europe/London", "Asia/Dhaka")),
    ("MST", "“MST” can mean US Mountain time", ("America/Denver", "America/Phoenix")),
    ("GMT", "“GMT” can mean UTC all year, or UK time", ("UTC", "Europe/London")),
    # countries with several zones
    ("United States", "United States has more than one time zone", ("America/New_York", "America/Chicago",
     "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu")),
    ("USA", "USA has more than one time zone", None),
    ("Australia", "Australia has more than one time zone", ("Australia/Perth", "Australia/Darwin",
     "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Australia/Hobart")),
    ("Canada", "Canada has more than one time zone", None),
    # typos get the closest names; nonsense gets the hint
    ("Tokio", "We couldn't find a time zone for “Tokio”", ("Asia/Tokyo",)),
    ("Londn", "We couldn't find a time zone for “Londn”", ("Europe/London",)),
    ("Mars", "We couldn't find a time zone for “Mars”. Try a city (Tokyo), a country (Japan)", ()),
    ("Asia/Nowhere", "We couldn't find a time zone for “Asia/Nowhere”", None),
    ("", "Type where you are.", ()),
    ("   ", "Type where you are.", ()),
    ("x" * 65, "That is too long for a time zone.", ()),
    # offsets no place keeps all year, or that do not exist
    ("UTC-3:30", "UTC-3:30 is not an offset we can show times in", ()),
    ("UTC+15", "UTC+15:00 is not an offset we can show times in", ()),
]


@pytest.mark.parametrize("typed, message, suggestions", ASKED, ids=[t[:20] or "empty" for t, _, _ in ASKED])
def test_text_that_names_no_single_zone_answers_a_message_and_never_a_zone(typed, message, suggestions):
    answer = resolve_zone(typed)
    assert answer.zone is None
    assert message in answer.message
    if suggestions is not None:
        assert answer.suggestions == suggestions
    assert all(valid_zone_name(zone) for zone in answer.suggestions)


def test_a_whole_hour_offset_is_that_offset_all_year_and_is_shown_the_way_she_wrote_it():
    zone = resolve_zone("UTC+9").zone
    assert zone_label(zone) == "UTC+9" and zone_label(resolve_zone("GMT-5").zone) == "UTC-5"
    for month in (1, 7):
        assert datetime(2026, month, 1, tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).utcoffset().total_seconds() \
            == 9 * 3600
    assert zone_label("Asia/Tokyo") == "Asia/Tokyo"
