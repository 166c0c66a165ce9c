"""A practitioner's own calendar with 5,000 events: what a sync costs and what it adds to a slot look-up.

A fresh SQLite file database gets the migrations and `bench/loadgen.py`'s practice (1,000 appointments),
then an .ics file of 5,000 VEVENTs (4,900 single events and 100 weekly series of 20 with an EXDATE
each, spread over the fetched window) served by a local HTTP server. Timed: the first sync (fetch,
expand, replace the rows), a second sync of the same data (nothing changes, nothing is written but
the attempt time), and `GET /api/v1/slots` for 30 days before the calendar is added and after
(median of REQUESTS requests, the per-process cache cleared before each), with SQL statements counted.
"""
from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from app.calendars.service import add_calendar
from app.calendars.sync import sync_all
from app.clock import utcnow
from app.extensions import db
from app.models.calendars import CalendarBusy
from app.models.scheduling import PractitionerProfile
from app.scheduling import cache as slot_cache
from bench import loadgen
from bench.slots import REQUESTS, WARMUPS, StatementLog, _quiet_migrations, windows

EVENTS, SERIES, SERIES_COUNT = 5_000, 100, 20
APPOINTMENTS = 1_000


def calendar_text(now: datetime, days: int) -> bytes:
    rng = random.Random(16)
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Homeostasis bench//EN"]
    stamp = "DTSTAMP:20260101T000000Z"
    fmt = "%Y%m%dT%H%M%SZ"
    for n in range(EVENTS - SERIES):
        start = (now - timedelta(days=30) + timedelta(minutes=rng.randrange(days * 24 * 4) * 15)).replace(
            second=0, microsecond=0)
        end = start + timedelta(minutes=rng.choice((15, 30, 60, 90)))
        transp = "\nTRANSP:TRANSPARENT" if n % 10 == 0 else ""
        out += ["BEGIN:VEVENT", f"UID:single-{n}", stamp, f"DTSTART:{start:{fmt}}", f"DTEND:{end:{fmt}}",
                f"SUMMARY:Event {n}{transp}", "END:VEVENT"]
    for n in range(SERIES):
        start = (now + timedelta(days=rng.randrange(days - 150), hours=rng.randrange(24))).replace(
            minute=0, second=0, microsecond=0)
        out += ["BEGIN:VEVENT", f"UID:series-{n}", stamp, f"DTSTART:{start:{fmt}}",
                f"DTEND:{start + timedelta(hours=1):{fmt}}", f"RRULE:FREQ=WEEKLY;COUNT={SERIES_COUNT}",
                f"EXDATE:{start + timedelta(weeks=3):{fmt}}", f"SUMMARY:Series {n}", "END:VEVENT"]
    out.append("END:VCALENDAR")
    return ("\r\n".join(out) + "\r\n").encode()


def _serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _slots(app, log: StatementLog, path: str) -> tuple[float, list[int], int]:
    client = app.test_client()
    for _ in range(WARMUPS):
        client.get(path)
    times, queries, slots = [], [], 0
    for _ in range(REQUESTS):
        slot_cache.clear(app)
        log.reset()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
        queries.append(log.split()[0])
        slots = len(response.get_json()["slots"])
    return statistics.median(times), queries, slots


def run(progress: TextIO | None = None) -> str:
    with tempfile.TemporaryDirectory(prefix="homeostasis-bench-cal-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'calendar.sqlite3'}",
                          "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "console",
                          "SEED_DEMO_ALLOWED": True, "TESTING": False, "CALENDAR_ALLOW_PRIVATE_ADDRESSES": True})
        now = utcnow()
        first, last = windows()["near"]
        path = f"/api/v1/slots?type={loadgen.SLUG}&start={first}&end={last}&tz={loadgen.ZONE}"
        with app.app_context():
            with _quiet_migrations():
                upgrade()
            loadgen.seed(APPOINTMENTS, patients=100)
            db.session.commit()
            profile = db.session.scalar(select(PractitionerProfile))
            horizon = max(ct.horizon_days for ct in profile.consultation_types)
            body = calendar_text(now, horizon + 30)
            server = _serve(body)
            log = StatementLog(db.engine)
        if progress:
            print(f"calendar: {EVENTS:,} events ({len(body) / 2**20:.1f} MB), slots without it ...", file=progress,
                  flush=True)
        before_ms, before_q, before_slots = _slots(app, log, path)
        with app.app_context():
            add_calendar(profile, {"name": "Bench", "kind": "ics",
                                   "url": f"http://127.0.0.1:{server.server_address[1]}/bench.ics"},
                         actor=None, now=now)
            db.session.commit()
            log.reset()
            started = time.perf_counter()
            [first_sync] = sync_all(now)
            first_s, first_q = time.perf_counter() - started, log.split()[0]
            assert first_sync.ok, first_sync.error
            log.reset()
            started = time.perf_counter()
            [again] = sync_all(now + timedelta(minutes=15))
            again_s, again_q = time.perf_counter() - started, log.split()[0]
            rows = db.session.scalar(select(func.count(CalendarBusy.id)))
            lo, hi = (datetime.combine(d, datetime.min.time(), tzinfo=timezone.utc) for d in (first, last))
            in_window = db.session.scalar(select(func.count(CalendarBusy.id)).where(
                CalendarBusy.starts_at < hi + timedelta(days=1), CalendarBusy.ends_at > lo))
        if progress:
            print("calendar: slots with it ...", file=progress, flush=True)
        after_ms, after_q, after_slots = _slots(app, log, path)
        log.close()
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()
    return "\n".join([
        f"Own calendar: an .ics of {EVENTS:,} VEVENTs ({EVENTS - SERIES:,} single, 1 in 10 transparent; {SERIES} "
        f"weekly series of {SERIES_COUNT} with an EXDATE), {len(body) / 2**20:.1f} MB, on a local HTTP server;",
        f"SQLite file database, {APPOINTMENTS:,} appointments, fetched window 30 days back to the "
        f"{horizon}-day horizon.",
        f"  first sync (fetch, expand, write {rows:,} busy rows)   {first_s * 1000:>8.0f} ms  {first_q:>3} SQL statements",
        f"  second sync, nothing changed (no rows written)   {again_s * 1000:>8.0f} ms  {again_q:>3} SQL statements",
        f"  GET /api/v1/slots, 30 days, without the calendar {before_ms:>8.2f} ms  "
        f"{'/'.join(map(str, sorted(set(before_q))))} queries, {before_slots} open",
        f"  GET /api/v1/slots, 30 days, with it ({in_window} busy rows in the window) "
        f"{after_ms:>6.2f} ms  {'/'.join(map(str, sorted(set(after_q))))} queries, {after_slots} open",
        f"  (median of {REQUESTS} requests each, slot cache cleared before every one)",
    ])
