"""A slow calendar server cannot stall the worker (issue 20 point 3): each fetch ends by its total
deadline however the server trickles, and reads no more than the size cap; one sync runs at a time
across hosts (a lease in the database); and calendar syncs have their own queue and consumer, so an
email queued meanwhile goes at once. Against real local servers, real huey consumers and the run's
database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import signal
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import leases, tasks
from app.calendars import SyncRunning, fetch, sync_all
from app.clock import utcnow
from app.extensions import db
from app.models.calendars import ExternalCalendar
from tests.conftest import DEFAULT_PASSWORD
from tests.support.calendars import IcsServer, TrickleServer, vcalendar
from tests.support.web import post_form

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)
DEADLINE = 1.5


@pytest.fixture
def deadline(app):
    app.config["CALENDAR_FETCH_SECONDS"] = DEADLINE
    return DEADLINE


def add_calendar(client, auth, url, kind="ics", **fields):
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    data = {"name": "Slow", "kind": kind, "url": url, "username": "", "password": "", **fields}
    assert post_form(client, "/practice/calendars", data).status_code == 303


def timed_sync():
    started = time.monotonic()
    results = sync_all(NOW)
    return results, time.monotonic() - started


@pytest.mark.parametrize("mode", ["body", "headers", "tls"])
def test_a_server_that_trickles_a_byte_at_a_time_is_cut_off_at_the_deadline(client, auth, make_practice,
                                                                           deadline, mode):
    make_practice()
    with TrickleServer(mode, every=0.2) as server:
        add_calendar(client, auth, server.url)
        [result], took = timed_sync()
        assert server.closed.wait(3)  # the connection was dropped, not left trickling
    assert not result.ok and result.error == f"The calendar server did not send the calendar within {DEADLINE:g} s."
    # Each byte came well within the 20 s read timeout, so only the total deadline can have ended it; the
    # upper bound is loose (a busy machine), the trickle itself would go on far longer.
    assert DEADLINE <= took < DEADLINE + 5
    page = client.get("/practice/calendars").get_data(as_text=True)
    assert "did not send the calendar within" in page


def test_a_caldav_server_that_trickles_is_cut_off_at_the_deadline_too(client, auth, make_practice, deadline):
    make_practice()
    with TrickleServer("body", every=0.2) as server:
        add_calendar(client, auth, server.url, kind="caldav", username="maya", password="pw")
        [result], took = timed_sync()
    assert not result.ok and "within 1.5 s" in result.error
    assert took < DEADLINE + 5


def test_an_answer_larger_than_the_cap_is_refused_without_reading_it_all(client, auth, make_practice,
                                                                       monkeypatch):
    make_practice()
    monkeypatch.setattr(fetch, "MAX_BYTES", 2**20)
    with IcsServer() as server:
        server.body = vcalendar("UID:a\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z\n"
                                "DESCRIPTION:" + "x" * 1_500_000).encode()
        add_calendar(client, auth, server.url)
        [result] = sync_all(NOW)
    assert not result.ok and result.error == "The calendar server sent more than 1 MB."


# --- one sync at a time ---------------------------------------------------------------------------------

def test_a_second_sync_while_one_runs_does_nothing_and_says_so(app, client, auth, make_practice, deadline):
    make_practice()
    with TrickleServer("body", every=0.2) as server:
        add_calendar(client, auth, server.url)
        first: dict = {}

        def run_first():
            with app.app_context():
                first["results"] = sync_all(NOW)

        thread = threading.Thread(target=run_first)
        thread.start()
        while server.requests == 0:  # the first sync is fetching
            time.sleep(0.02)
        with pytest.raises(SyncRunning):
            sync_all(NOW)
        output = app.test_cli_runner().invoke(args=["sync-calendars"]).output
        assert "Another calendar sync is running" in output
        thread.join(10)
    assert server.requests == 1  # only the first fetched
    assert len(first["results"]) == 1
    with IcsServer() as ok:  # once it finished, the next sync runs
        calendar = db.session.scalar(select(ExternalCalendar))
        from app.calendars.secrets import CalendarSecret, seal

        calendar.secret = seal(CalendarSecret(ok.url, "", ""))
        db.session.commit()
        ok.body = vcalendar("UID:a\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()
        [result] = sync_all(NOW)
    assert result.ok


def test_the_lease_of_a_sync_whose_host_died_lapses(app):
    token = leases.hold("sync-calendars", 60)
    assert token is not None and leases.hold("sync-calendars", 60) is None  # held
    later = utcnow() + timedelta(seconds=61)
    assert leases.hold("sync-calendars", 60, now=later) is not None  # its holder never came back
    assert leases.renew("sync-calendars", token, 60) is None  # and the dead holder cannot renew it


# --- mail never waits behind a calendar ------------------------------------------------------------------

def test_an_email_queued_during_a_slow_sync_is_delivered_at_once(app, client, auth, make_practice, make_user,
                                                               mailbox):
    """One consumer for each queue (as `make run` and the README start them), one worker each: the calendar consumer
    is busy with a server that trickles for 6 s; a password reset asked for meanwhile arrives in
    seconds, and the sync still ends by its deadline."""
    app.config["CALENDAR_FETCH_SECONDS"] = 6
    make_practice()
    make_user("ada@example.com")
    client.run_worker = False
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    consumers = [queue.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=False)
                 for queue in (tasks.huey, tasks.calendar_huey)]
    with TrickleServer("body", every=0.5) as server:
        add_calendar(client, auth, server.url)
        auth.logout()
        for consumer in consumers:
            consumer.start()
        try:
            tasks.PERIODIC_TASKS["sync-calendars"]()  # the periodic sync, enqueued as its scheduler would
            deadline = time.monotonic() + 10
            while server.requests == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.requests == 1  # the sync is fetching
            post_form(client, "/auth/forgot-password", {"email": "ada@example.com"})
            assert len(mailbox.wait_for("ada@example.com", timeout=20)) == 1
            assert not server.closed.is_set()  # delivered while the calendar still trickled
            assert server.closed.wait(10)  # and the sync gave up by its deadline
        finally:
            for consumer in consumers:
                consumer.stop(graceful=True)
            for sig, handler in saved.items():
                signal.signal(sig, handler)
    db.session.commit()
    calendar = db.session.scalar(select(ExternalCalendar))
    db.session.refresh(calendar)
    assert "did not send the calendar within 6 s" in calendar.last_error
