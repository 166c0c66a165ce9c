"""The practitioner's calendar, /practice/schedule?view=week|day&date=YYYY-MM-DD: a time grid in her zone
with appointments (status, payment, intake state, flags), holds, her calendars' busy times, time off and
her open hours; the agenda (/practice) shows this week's grid and a short list of today."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.intake.questionnaire import CURRENT_VERSION
from app.models.audit import AuditEvent
from app.models.calendars import CalendarBusy, ExternalCalendar
from app.models.intake import IntakeResponse
from app.models.scheduling import TimeOff
from tests.conftest import DEFAULT_PASSWORD

UTC = timezone.utc
NOW = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def signed_in(client, auth, practice):
    auth.login(practice[0].email, DEFAULT_PASSWORD)
    return client


COLUMN = re.compile(r'<section class="cal-col[^"]*"[^>]*data-day="([^"]+)"[^>]*>(.*?)</section>', re.S)


def entries(html: str) -> list[tuple[str, str, str]]:
    """(day, kind, text) of every entry on the grid, in page order."""
    found = []
    for day, column in COLUMN.findall(html):
        for kind, body in re.findall(r'<div class="ev ev-[^"]*" data-kind="([^"]+)"[^>]*>(.*?)</div>', column, re.S):
            found.append((day, kind, " ".join(re.sub(r"<[^>]+>", " ", body).split())))
    return found


def test_the_week_shows_each_kind_of_entry_with_what_she_needs_to_know(signed_in, practice, make_user,
                                                                       make_appointment):
    user, profile, ct = practice
    ada, bea, cy = (make_user(f"{n}@example.com", full_name=n.title() + " Patient") for n in ("ada", "bea", "cy"))
    visit = make_appointment(ct, ada, starts_at=datetime(2026, 12, 9, 15, 0, tzinfo=UTC))  # Wed 10:00 EST
    db.session.add(IntakeResponse(patient_id=ada.id, appointment_id=visit.id, questionnaire_version=CURRENT_VERSION,
                                  answers={"opioid_use": "yes"}, saved_steps=[], status="completed"))
    make_appointment(ct, bea, starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC), status="pending_payment",
                     payment_status="unpaid", hold_expires_at=NOW + timedelta(minutes=20))
    make_appointment(ct, cy, starts_at=datetime(2026, 12, 10, 17, 0, tzinfo=UTC), status="pending_payment",
                     payment_status="unpaid", hold_expires_at=NOW - timedelta(minutes=1))  # lapsed: not her time
    make_appointment(ct, cy, starts_at=datetime(2026, 12, 11, 15, 0, tzinfo=UTC), status="cancelled")
    calendar = ExternalCalendar(practitioner_id=profile.id, name="Family", kind="ics", secret="x", address_hint="h")
    db.session.add(calendar)
    db.session.flush()
    db.session.add(CalendarBusy(calendar_id=calendar.id, practitioner_id=profile.id,
                                starts_at=datetime(2026, 12, 7, 17, 0, tzinfo=UTC),
                                ends_at=datetime(2026, 12, 7, 18, 0, tzinfo=UTC)))
    db.session.add(TimeOff(practitioner_id=profile.id, starts_at=datetime(2026, 12, 11, 19, 0, tzinfo=UTC),
                           ends_at=datetime(2026, 12, 11, 22, 0, tzinfo=UTC), reason="Conference"))
    db.session.commit()

    page = signed_in.get("/practice/schedule?view=week&date=2026-12-09")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert entries(html) == [
        ("2026-12-07", "busy", "12:00–13:00 busy (Family)"),
        ("2026-12-09", "appointment", "10:00–11:00 Ada Patient Opioid + LDN : Takes an opioid now: naltrexone (LDN) "
                                      "is contraindicated with opioids. Intake complete Confirmed Pay at the "
                                      "appointment Initial consultation"),
        ("2026-12-10", "hold", "10:00–11:00 Bea Patient No intake yet Held for payment Initial consultation"),
        ("2026-12-11", "time_off", "14:00–17:00 Time off: Conference"),
    ]
    assert f'href="/practice/appointments/{visit.id}"' in html
    # Open hours shaded on the five working days; the current time on today (Tuesday) only.
    assert html.count('class="cal-open"') == 5
    assert [day for day, column in COLUMN.findall(html) if 'class="cal-now"' in column] == ["2026-12-08"]


def test_the_day_view_shows_that_day_alone_and_steps_a_day_at_a_time(signed_in, practice, make_user,
                                                                     make_appointment):
    _user, _profile, ct = practice
    ada = make_user("ada@example.com", full_name="Ada Patient")
    make_appointment(ct, ada, starts_at=datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    make_appointment(ct, ada, starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC))
    html = signed_in.get("/practice/schedule?view=day&date=2026-12-10").get_data(as_text=True)
    assert [(day, kind) for day, kind, _ in entries(html)] == [("2026-12-10", "appointment")]
    assert 'href="/practice/schedule?view=day&amp;date=2026-12-09">Previous day' in html
    assert 'href="/practice/schedule?view=day&amp;date=2026-12-11">Next day' in html


def test_a_week_with_a_dst_change_has_a_25_hour_day_and_places_visits_by_real_time(signed_in, practice, make_user,
                                                                                   make_appointment):
    _user, profile, ct = practice
    ada = make_user("ada@example.com", full_name="Ada Patient")
    # Clocks go back in New York at 02:00 on Sunday 1 November 2026. Time off from midnight shows the whole night.
    db.session.add(TimeOff(practitioner_id=profile.id, starts_at=datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
                           ends_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC)))  # 00:00 EDT to 03:00 EST
    db.session.commit()
    for day in (31, 1):
        month = 10 if day == 31 else 11
        local_nine = datetime.combine(datetime(2026, month, day).date(), time(9))
        offset = 4 if day == 31 else 5  # EDT, then EST
        make_appointment(ct, ada, starts_at=(local_nine + timedelta(hours=offset)).replace(tzinfo=UTC))
    html = signed_in.get("/practice/schedule?view=week&date=2026-10-28").get_data(as_text=True)
    columns = dict(re.findall(r'data-day="([^"]+)" data-minutes="\d+" data-day-hours="(\d+)"', html))
    assert columns["2026-11-01"] == "25" and columns["2026-10-31"] == "24"
    assert "Clocks go back: a 25-hour day" in html
    minutes = dict(re.findall(r'data-day="([^"]+)" data-minutes="(\d+)"', html))
    assert (minutes["2026-10-31"], minutes["2026-11-01"]) == ("1200", "1260")  # 00:00-20:00, plus the repeat
    tops = {day: top for day, column in COLUMN.findall(html)
            for top in re.findall(r'data-kind="appointment" data-top="(\d+)"', column)}
    assert tops == {"2026-10-31": "540", "2026-11-01": "600"}  # 09:00 is ten real hours after midnight on Sunday
    assert re.search(r'data-mark="01:00">01:00 again<', html)


@pytest.mark.parametrize(("query", "message"), [
    ("date=2026-13-01", "Give the date as YYYY-MM-DD"),
    ("date=yesterday", "Give the date as YYYY-MM-DD"),
    ("date=9999-12-31", "Choose a date between 1970 and 2200"),
    ("view=month", "The view is either week or day"),
])
def test_a_bad_date_or_view_is_refused_with_a_message(signed_in, query, message):
    response = signed_in.get(f"/practice/schedule?{query}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_the_flags_she_sees_on_the_calendar_are_an_audited_read(signed_in, practice, make_user, make_appointment):
    _user, _profile, ct = practice
    ada = make_user("ada@example.com", full_name="Ada Patient")
    visit = make_appointment(ct, ada, starts_at=datetime(2026, 12, 9, 15, 0, tzinfo=UTC))

    def views_of(patient_id):
        db.session.rollback()
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "view", AuditEvent.object_type == "intake", AuditEvent.patient_id == patient_id))

    signed_in.get("/practice/schedule")
    assert views_of(ada.id) == 0  # no intake yet: nothing of hers was read
    db.session.add(IntakeResponse(patient_id=ada.id, appointment_id=visit.id, questionnaire_version=CURRENT_VERSION,
                                  answers={}, saved_steps=[]))
    db.session.commit()
    assert signed_in.get("/practice/schedule").status_code == 200
    assert signed_in.get("/practice").status_code == 200
    assert views_of(ada.id) == 2


def test_the_agenda_lists_today_and_shows_this_weeks_calendar(signed_in, practice, make_user, make_appointment):
    _user, _profile, ct = practice
    ada = make_user("ada@example.com", full_name="Ada Patient")
    make_appointment(ct, ada, starts_at=datetime(2026, 12, 8, 19, 0, tzinfo=UTC))  # today 14:00
    make_appointment(ct, ada, starts_at=datetime(2026, 12, 11, 19, 0, tzinfo=UTC))  # Friday
    html = signed_in.get("/practice").get_data(as_text=True)
    today = html[html.index('id="today-title"'):html.index('id="week-title"')]
    assert "14:00 Ada Patient" in today and today.count("Ada Patient") == 1
    assert [(day, kind) for day, kind, _ in entries(html)] == [("2026-12-08", "appointment"),
                                                                ("2026-12-11", "appointment")]
