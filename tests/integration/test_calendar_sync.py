"""Busy times from the practitioner's own calendars, read from a real CalDAV server (Radicale, in its
own process) and from an .ics file on a local HTTP server, block open times like appointments."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select, text

from app.calendars import sync_all
from app.extensions import db
from app.models.calendars import CalendarBusy, ExternalCalendar
from app.scheduling import schedule
from tests.conftest import DEFAULT_PASSWORD
from tests.support.calendars import PASSWORD, USER, IcsServer, Radicale, vcalendar
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # a Monday; the clocks go forward in London on 28 March


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


LONDON = "TZID=Europe/London"
# (what, the events of one calendar resource, [(a one-hour slot's UTC start, whether it is blocked)])
KINDS = [
    ("busy event", [f"UID:busy\nDTSTART;{LONDON}:20270303T100000\nDTEND;{LONDON}:20270303T110000"],
     [(utc(2027, 3, 3, 10), True), (utc(2027, 3, 3, 11), False)]),
    ("transparent (show as free)", [f"UID:free\nDTSTART;{LONDON}:20270303T140000\nDTEND;{LONDON}:20270303T150000\n"
                                    "TRANSP:TRANSPARENT"], [(utc(2027, 3, 3, 14), False)]),
    ("cancelled event", [f"UID:gone\nDTSTART;{LONDON}:20270304T100000\nDTEND;{LONDON}:20270304T110000\n"
                         "STATUS:CANCELLED"], [(utc(2027, 3, 4, 10), False)]),
    ("Outlook free", [f"UID:olfree\nDTSTART;{LONDON}:20270304T140000\nDTEND;{LONDON}:20270304T150000\n"
                      "X-MICROSOFT-CDO-BUSYSTATUS:FREE"], [(utc(2027, 3, 4, 14), False)]),
    ("all-day event", ["UID:allday\nDTSTART;VALUE=DATE:20270305\nDTEND;VALUE=DATE:20270306"],
     [(utc(2027, 3, 5, 0), True), (utc(2027, 3, 5, 12), True), (utc(2027, 3, 6, 0), False)]),
    ("all-day, free", ["UID:alldayfree\nDTSTART;VALUE=DATE:20270308\nTRANSP:TRANSPARENT"],
     [(utc(2027, 3, 8, 12), False)]),
    ("weekly series across the clock change, with EXDATE, a moved and a cancelled occurrence", [
        f"UID:series\nDTSTART;{LONDON}:20270309T090000\nDTEND;{LONDON}:20270309T100000\nRRULE:FREQ=WEEKLY;COUNT=6\n"
        f"EXDATE;{LONDON}:20270316T090000",
        f"UID:series\nRECURRENCE-ID;{LONDON}:20270323T090000\nDTSTART;{LONDON}:20270324T160000\n"
        f"DTEND;{LONDON}:20270324T170000",
        f"UID:series\nRECURRENCE-ID;{LONDON}:20270406T090000\nSTATUS:CANCELLED\nDTSTART;{LONDON}:20270406T090000\n"
        f"DTEND;{LONDON}:20270406T100000"],
     [(utc(2027, 3, 9, 9), True), (utc(2027, 3, 16, 9), False), (utc(2027, 3, 23, 9), False),
      (utc(2027, 3, 24, 16), True), (utc(2027, 3, 30, 8), True), (utc(2027, 3, 30, 9), False),
      (utc(2027, 4, 6, 8), False), (utc(2027, 4, 13, 8), True)]),
    ("time zone only in VTIMEZONE", ["UID:tokyo\nDTSTART;TZID=My Tokyo Office:20270310T180000\n"
                                     "DTEND;TZID=My Tokyo Office:20270310T190000"],
     [(utc(2027, 3, 10, 9), True), (utc(2027, 3, 10, 18), False)]),
    ("floating time (her zone)", ["UID:floating\nDTSTART:20270401T140000\nDTEND:20270401T150000"],
     [(utc(2027, 4, 1, 13), True), (utc(2027, 4, 1, 14), False)]),
    ("zero length", ["UID:zero\nDTSTART:20270311T100000Z\nDTEND:20270311T100000Z"], [(utc(2027, 3, 11, 10), False)]),
    ("duration instead of end", ["UID:dur\nDTSTART:20270312T100000Z\nDURATION:PT2H"],
     [(utc(2027, 3, 12, 10), True), (utc(2027, 3, 12, 11), True), (utc(2027, 3, 12, 12), False)]),
]
CHECKS = [(what, slot, blocks) for what, _, checks in KINDS for slot, blocks in checks]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    server = Radicale(tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()


@pytest.fixture
def ics_server():
    with IcsServer() as server:
        yield server


@pytest.fixture
def practice(make_practice):
    """London, open every day 00:00-23:59, hour-long consultations on the hour, no notice."""
    return make_practice(timezone="Europe/London", hours=[(d, time(0), time(23, 59)) for d in range(7)],
                         granularity_minutes=60, min_notice_minutes=0, horizon_days=60)


def add_calendar(client, auth, **fields):
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    data = {"name": "Personal", "kind": "ics", "url": "", "username": "", "password": "", **fields}
    return post_form(client, "/practice/calendars", data)


def blocked(ct) -> dict[datetime, bool]:
    open_now = set(schedule.open_slots(ct, NOW, utc(2027, 4, 20), NOW))
    return {slot: slot not in open_now for _, slot, _ in CHECKS}


def test_each_kind_of_event_blocks_or_not_from_radicale(client, auth, practice, radicale):
    _, profile, ct = practice
    url = radicale.new_calendar("kinds", [vcalendar(*events) for _, events, _ in KINDS])
    assert add_calendar(client, auth, name="Work", kind="caldav", url=url, username=USER,
                        password=PASSWORD).status_code == 303
    assert not any(blocked(ct).values())  # adding fetches nothing
    version = profile.schedule_version
    [result] = sync_all(NOW)
    assert result.ok, result.error
    db.session.expire_all()
    assert profile.schedule_version > version  # cached open times are dropped
    found = blocked(ct)
    assert [(what, slot, found[slot]) for what, slot, _ in CHECKS] == CHECKS


def test_each_kind_of_event_blocks_or_not_from_an_ics_address(client, auth, practice, ics_server):
    _, _, ct = practice
    ics_server.body = vcalendar(*[e for _, events, _ in KINDS for e in events]).encode()
    assert add_calendar(client, auth, url=ics_server.url).status_code == 303
    assert ics_server.requests == 0
    [result] = sync_all(NOW)
    assert result.ok, result.error
    found = blocked(ct)
    assert [(what, slot, found[slot]) for what, slot, _ in CHECKS] == CHECKS


def test_a_calendar_that_cannot_be_read_keeps_its_last_busy_times_and_says_so(client, auth, practice, ics_server):
    _, profile, ct = practice
    ics_server.body = vcalendar(f"UID:x\nDTSTART;{LONDON}:20270303T100000\nDTEND;{LONDON}:20270303T110000").encode()
    add_calendar(client, auth, name="Home", url=ics_server.url)
    assert sync_all(NOW)[0].ok
    version = profile.schedule_version
    ics_server.status = 503
    [result] = sync_all(NOW + timedelta(minutes=15))
    assert not result.ok and "503" in result.error
    assert utc(2027, 3, 3, 10) not in schedule.open_slots(ct, NOW, utc(2027, 3, 4), NOW)  # still blocked
    db.session.expire_all()
    assert profile.schedule_version == version
    page = client.get("/practice/calendars").get_data(as_text=True)
    assert "Could not be read</strong> at Mon 1 Mar, 12:15: The calendar server answered 503" in page
    assert "The busy times read at Mon 1 Mar, 12:00 still block." in page  # the last success, in her zone


def test_a_wrong_caldav_password_is_shown_and_blocks_nothing_new(client, auth, practice, radicale):
    url = radicale.new_calendar("locked", [vcalendar("UID:y\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z")])
    add_calendar(client, auth, name="Work", kind="caldav", url=url, username=USER, password="not-the-password")
    [result] = sync_all(NOW)
    assert not result.ok and "refused the user name or password" in result.error
    assert db.session.scalar(select(CalendarBusy.id)) is None


def test_her_calendar_says_busy_with_the_calendar_name_and_no_title_unless_she_opts_in(client, auth, practice,
                                                                                     ics_server):
    with time_machine.travel(NOW, tick=True):  # signed in "now", so the session is fresh when she looks
        _agenda_titles(client, auth, ics_server)


def _agenda_titles(client, auth, ics_server):
    ics_server.body = vcalendar(f"UID:z\nSUMMARY:Root canal\nDTSTART;{LONDON}:20270302T100000\n"
                                f"DTEND;{LONDON}:20270302T110000").encode()
    add_calendar(client, auth, name="Home", url=ics_server.url)
    sync_all(NOW)
    page = client.get("/practice/schedule?view=week&date=2027-03-02").get_data(as_text=True)  # her calendar
    assert "busy (Home)" in page and "Root canal" not in page
    assert db.session.scalar(select(CalendarBusy.title)) is None  # not stored either
    calendar = db.session.scalar(select(ExternalCalendar))
    post_form(client, "/practice/calendars/titles", {"calendar_id": calendar.id, "store_titles": "1"})
    sync_all(NOW)
    page = client.get("/practice/schedule?view=week&date=2027-03-02").get_data(as_text=True)
    assert "Root canal (busy, Home)" in page
    post_form(client, "/practice/calendars/titles", {"calendar_id": calendar.id, "store_titles": "0"})
    assert db.session.scalar(select(CalendarBusy.title)) is None  # forgotten at once


def test_credentials_and_the_address_are_encrypted_at_rest(client, auth, practice, ics_server):
    add_calendar(client, auth, url=ics_server.url + "?token=s3cr3t-feed", username="maya@example.com",
                 password="app-password-123")
    raw = db.session.execute(text("SELECT secret, address_hint FROM external_calendars")).one()
    assert "s3cr3t-feed" not in raw.secret and "app-password-123" not in raw.secret and "maya" not in raw.secret
    assert raw.address_hint == f"http://127.0.0.1:{ics_server.httpd.server_address[1]}/…"
    ics_server.body = vcalendar("UID:q\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
    assert sync_all(NOW)[0].ok  # and they still open the calendar


def test_removing_a_calendar_frees_its_times(client, auth, practice, ics_server):
    _, _, ct = practice
    ics_server.body = vcalendar("UID:r\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
    add_calendar(client, auth, url=ics_server.url)
    sync_all(NOW)
    assert utc(2027, 3, 3, 10) not in schedule.open_slots(ct, NOW, utc(2027, 3, 4), NOW)
    calendar = db.session.scalar(select(ExternalCalendar))
    assert post_form(client, "/practice/calendars/remove", {"calendar_id": calendar.id}).status_code == 303
    assert utc(2027, 3, 3, 10) in schedule.open_slots(ct, NOW, utc(2027, 3, 4), NOW)


def test_a_patient_cannot_book_a_time_her_calendar_blocks(client, auth, practice, ics_server, make_user):
    from app.scheduling import booking

    _, _, ct = practice
    ics_server.body = vcalendar("UID:b\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
    add_calendar(client, auth, url=ics_server.url)
    sync_all(NOW)
    patient = make_user("ada@example.com")
    with pytest.raises(booking.SlotTaken):  # the booking service itself refuses, not only the pages' slot list
        booking.book(booking.BookingRequest(patient=patient, consultation_type=ct, start=utc(2027, 3, 3, 10),
                                            patient_timezone="UTC", take_payment=False), NOW)


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "starts with https://"),
    ("gopher://127.0.0.1/", "starts with https://"),
    ("not an address", "without spaces"),
    ("", "Give the calendar&#39;s address"),
])
def test_addresses_that_are_not_web_addresses_are_refused(client, auth, practice, url, message):
    response = add_calendar(client, auth, url=url)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(ExternalCalendar.id)) is None


@pytest.fixture
def production_addresses(app):
    app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = False
    yield
    app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = True


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/cal.ics", "http://10.1.2.3/cal.ics",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/cal.ics"])
def test_in_production_private_and_loopback_hosts_are_refused(client, auth, practice, production_addresses, url):
    response = add_calendar(client, auth, url=url)
    assert response.status_code == 422 and "private network" in response.get_data(as_text=True)


def test_in_production_a_saved_loopback_address_is_refused_at_fetch_time_too(client, auth, practice, ics_server, app):
    ics_server.body = vcalendar("UID:p\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
    add_calendar(client, auth, url=ics_server.url)
    app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = False
    try:
        [result] = sync_all(NOW)
    finally:
        app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = True
    assert not result.ok and "private network" in result.error and ics_server.requests == 0


def test_sync_now_fetches_nothing_inside_the_request(client, auth, practice, ics_server):
    add_calendar(client, auth, url=ics_server.url)
    calendar = db.session.scalar(select(ExternalCalendar))
    response = post_form(client, "/practice/calendars/sync", {"calendar_id": calendar.id}, follow_redirects=True)
    assert "will sync within 15 minutes" in response.get_data(as_text=True)
    assert ics_server.requests == 0


def test_another_practitioners_calendar_is_a_404(client, auth, practice, ics_server, make_user):
    add_calendar(client, auth, url=ics_server.url)
    calendar = db.session.scalar(select(ExternalCalendar))
    make_user("other@example.com", role="practitioner")
    auth.logout()
    auth.login("other@example.com", DEFAULT_PASSWORD)
    assert post_form(client, "/practice/calendars/remove", {"calendar_id": calendar.id},
                     token_from="/practice/calendars").status_code == 404
    assert db.session.get(ExternalCalendar, calendar.id) is not None


def test_the_sync_calendars_command_reports_each_calendar(app, client, auth, practice, ics_server):
    ics_server.body = vcalendar("UID:c\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
    add_calendar(client, auth, name="Home", url=ics_server.url)
    with time_machine.travel(NOW, tick=False):
        output = app.test_cli_runner().invoke(args=["sync-calendars"]).output
        assert "Home: 1 busy time(s) (changed)" in output and "synced 1 of 1 calendar(s)" in output
        ics_server.status = 500
        output = app.test_cli_runner().invoke(args=["sync-calendars"]).output
    assert "Home: failed: The calendar server answered 500" in output and "kept the last known busy times" in output
    assert "synced 0 of 1 calendar(s)" in output


def test_each_redirect_of_an_ics_address_is_checked_like_the_address(client, auth, practice, ics_server):
    ics_server.body = vcalendar("UID:m\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
    add_calendar(client, auth, url=ics_server.url)
    ics_server.redirect = "/moved.ics"
    assert sync_all(NOW)[0].ok  # an ordinary move is followed
    ics_server.redirect = "file:///etc/passwd"
    [result] = sync_all(NOW)
    assert not result.ok and "starts with https://" in result.error
