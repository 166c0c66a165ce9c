"""The pure reading of iCalendar data (app/calendars/busy.py): which events block, where in UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.calendars.busy import BusyInterval, CalendarDataError, busy_intervals
from tests.support.calendars import vcalendar

UTC = timezone.utc
START, END = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)


def spans(*events: str, zone: str = "Europe/London", titles: bool = False, start=START, end=END):
    return busy_intervals([vcalendar(*events)], start, end, zone, keep_titles=titles)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_weekly_london_event_keeps_its_wall_clock_across_both_changes_of_the_clocks():
    # Thursdays 10:00-11:00 London from 18 March to 4 November 2027: BST from 28 March to 31 October.
    found = spans("UID:weekly\nDTSTART;TZID=Europe/London:20270318T100000\nDTEND;TZID=Europe/London:20270318T110000\n"
                  "RRULE:FREQ=WEEKLY;UNTIL=20271104T235959Z")
    starts = [b.start for b in found]
    assert starts[:3] == [utc(2027, 3, 18, 10), utc(2027, 3, 25, 10), utc(2027, 4, 1, 9)]  # GMT, GMT, BST
    assert utc(2027, 10, 28, 9) in starts and utc(2027, 11, 4, 10) in starts  # BST, then GMT again
    assert all(b.end - b.start == timedelta(hours=1) for b in found)
    assert len(found) == 34


@pytest.mark.parametrize("label, event, expected", [
    ("busy", "UID:a\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z", [(utc(2027, 3, 3, 10), utc(2027, 3, 3, 11))]),
    ("transparent", "UID:b\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z\nTRANSP:TRANSPARENT", []),
    ("opaque said", "UID:c\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z\nTRANSP:OPAQUE",
     [(utc(2027, 3, 3, 10), utc(2027, 3, 3, 11))]),
    ("cancelled", "UID:d\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z\nSTATUS:CANCELLED", []),
    ("outlook free", "UID:e\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z\nX-MICROSOFT-CDO-BUSYSTATUS:FREE", []),
    ("tentative", "UID:f\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z\nSTATUS:TENTATIVE",
     [(utc(2027, 3, 3, 10), utc(2027, 3, 3, 11))]),
    ("no length", "UID:g\nDTSTART:20270303T100000Z\nDTEND:20270303T100000Z", []),
    ("duration", "UID:h\nDTSTART:20270303T100000Z\nDURATION:PT90M", [(utc(2027, 3, 3, 10), utc(2027, 3, 3, 11, 30))]),
    # All day means her day: midnight to midnight in New York, not in UTC.
    ("all day", "UID:i\nDTSTART;VALUE=DATE:20270303\nDTEND;VALUE=DATE:20270305",
     [(utc(2027, 3, 3, 5), utc(2027, 3, 5, 5))]),
    ("all day, no end", "UID:j\nDTSTART;VALUE=DATE:20270303", [(utc(2027, 3, 3, 5), utc(2027, 3, 4, 5))]),
    ("all day, free", "UID:k\nDTSTART;VALUE=DATE:20270303\nTRANSP:TRANSPARENT", []),
    ("floating time", "UID:l\nDTSTART:20270303T100000\nDTEND:20270303T110000",
     [(utc(2027, 3, 3, 15), utc(2027, 3, 3, 16))]),
    ("own VTIMEZONE", "UID:m\nDTSTART;TZID=My Tokyo Office:20270303T180000\nDTEND;TZID=My Tokyo Office:20270303T190000",
     [(utc(2027, 3, 3, 9), utc(2027, 3, 3, 10))]),
])
def test_what_blocks(label, event, expected):
    assert [(b.start, b.end) for b in spans(event, zone="America/New_York")] == expected, label


def test_exdate_moved_and_cancelled_occurrences_of_a_series():
    found = spans(
        "UID:s\nDTSTART;TZID=Europe/London:20270309T090000\nDTEND;TZID=Europe/London:20270309T100000\n"
        "RRULE:FREQ=WEEKLY;COUNT=5\nEXDATE;TZID=Europe/London:20270316T090000",
        "UID:s\nRECURRENCE-ID;TZID=Europe/London:20270323T090000\n"
        "DTSTART;TZID=Europe/London:20270324T160000\nDTEND;TZID=Europe/London:20270324T170000",
        "UID:s\nRECURRENCE-ID;TZID=Europe/London:20270330T090000\nSTATUS:CANCELLED\n"
        "DTSTART;TZID=Europe/London:20270330T090000\nDTEND;TZID=Europe/London:20270330T100000")
    assert [b.start for b in found] == [utc(2027, 3, 9, 9), utc(2027, 3, 24, 16), utc(2027, 4, 6, 8)]


def test_titles_are_kept_only_when_asked_and_events_are_clipped_to_the_window():
    event = "UID:t\nSUMMARY:Dentist\nDTSTART:20270303T100000Z\nDTEND:20270303T120000Z"
    assert spans(event) == [BusyInterval(utc(2027, 3, 3, 10), utc(2027, 3, 3, 12), None)]
    assert spans(event, titles=True)[0].title == "Dentist"
    clipped = spans(event, start=utc(2027, 3, 3, 11), end=utc(2027, 3, 4))
    assert [(b.start, b.end) for b in clipped] == [(utc(2027, 3, 3, 11), utc(2027, 3, 3, 12))]
    assert spans(event, start=utc(2027, 3, 4), end=utc(2027, 3, 5)) == []


def test_data_that_is_not_icalendar_is_a_clear_error():
    with pytest.raises(CalendarDataError, match="not valid iCalendar"):
        busy_intervals([b"<html>Sign in</html>"], START, END, "UTC")
