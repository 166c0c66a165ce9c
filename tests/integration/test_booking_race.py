"""Real races: gunicorn workers in other processes, many patients asking for one time at one moment.

The server is a separate `gunicorn -w 4 -k sync` on the suite's database (SQLite file, or
TEST_DATABASE_URL), so the only thing that can keep two bookings apart is the database: SQLite's
write lock (BEGIN IMMEDIATE) or PostgreSQL's row lock and exclusion constraint.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models.scheduling import BLOCKING, Appointment, ConsultationType, WeeklyAvailability
from app.scheduling.profiles import profile_for
from tests.support.web import csrf_from

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
ZONE = "America/New_York"
SLUG = "race-consultation"
PASSWORD = "correct horse battery"
PATIENTS = 24
TIMEOUT = 20  # seconds, for any one HTTP call


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def server(migrated, tmp_path_factory):
    """The app under gunicorn (4 sync workers) on the suite's database; stopped whatever happens."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STRIPE_", "MAIL_"))}
    env.update(DATABASE_URL=migrated, SECRET_KEY="race-test-secret", RATELIMIT_ENABLED="false",
               MAIL_BACKEND="console", HOMEOSTASIS_ENV="development")
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "-w", "4", "-k", "sync", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "3",
             "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(process, base, log_path)
        yield Server(base, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_healthy(process: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or workers still booting
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer /healthz in 30 s:\n{log_path.read_text(errors='replace')}")


@pytest.fixture
def consultation(app, make_user) -> ConsultationType:
    """A practitioner open 09:00-17:00 every day, and a 30-minute type with a 10-minute buffer after."""
    practitioner = make_user("race-practitioner@example.com", role="practitioner", password=PASSWORD, timezone=ZONE)
    profile = profile_for(practitioner)
    db.session.add_all(WeeklyAvailability(practitioner_id=profile.id, weekday=day, start_time=clock_time(9),
                                          end_time=clock_time(17)) for day in range(7))
    ct = ConsultationType(practitioner_id=profile.id, slug=SLUG, name="Race consultation", duration_minutes=30,
                          price_minor=15000, currency="usd", buffer_after_minutes=10, intake_required=False)
    db.session.add(ct)
    db.session.commit()
    return ct


@pytest.fixture
def patients(app, make_user):
    def make(count: int):
        return [make_user(f"racer{n:02d}@example.com", password=PASSWORD) for n in range(1, count + 1)]
    return make


def local_instant(days_ahead: int, hour: int) -> datetime:
    day = utcnow().astimezone(ZoneInfo(ZONE)).date() + timedelta(days=days_ahead)
    return datetime.combine(day, clock_time(hour), tzinfo=ZoneInfo(ZONE)).astimezone(timezone.utc)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_in(base: str, email: str) -> requests.Session:
    """A browser-like session: log in with the login page's CSRF token, then take /account's token
    (logging in starts a new session, hence a new token)."""
    session = requests.Session()
    try:
        token = csrf_from(session.get(f"{base}/auth/login", timeout=TIMEOUT).text)
        response = session.post(f"{base}/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                                allow_redirects=False, timeout=TIMEOUT)
        assert response.status_code == 303, (email, response.status_code, response.text[:500])
        account = session.get(f"{base}/account", timeout=TIMEOUT)
        assert account.status_code == 200, (email, account.status_code)
        session.headers["X-CSRFToken"] = csrf_from(account.text)
    except BaseException:
        session.close()
        raise
    return session


def all_at_once(calls):
    """Run the calls in threads released together by a barrier; results in order (exceptions re-raised)."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=TIMEOUT)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(run, call) for call in calls]]


def sign_in_all(base: str, users) -> list[requests.Session]:
    # One after another: on SQLite, logins at the same moment can fail with "database is locked"
    # (a read-then-write transaction whose snapshot another login's commit made stale), which is not
    # the race under test here.
    sessions: list[requests.Session] = []
    try:
        for user in users:
            sessions.append(signed_in(base, user.email))
    except BaseException:
        for session in sessions:
            session.close()
        raise
    return sessions


def book_call(base: str, session: requests.Session, start: str):
    return lambda: session.post(f"{base}/api/v1/bookings", json={"type": SLUG, "start": start,
                                                                 "safety_screen": {"all_no": True}}, timeout=TIMEOUT)


def active_appointments(ct: ConsultationType) -> list[Appointment]:
    db.session.commit()  # a fresh snapshot: see what the server's processes wrote
    return list(db.session.scalars(select(Appointment).where(
        Appointment.practitioner_id == ct.practitioner_id, Appointment.status.in_(BLOCKING))
        .order_by(Appointment.blocked_start)))


def assert_no_overlap(appointments: list[Appointment]) -> None:
    for earlier, later in zip(appointments, appointments[1:], strict=False):
        assert earlier.blocked_end <= later.blocked_start, (earlier.id, later.id)


def test_many_patients_booking_one_time_at_once_get_one_booking_and_the_rest_409(server, consultation, patients):
    start = local_instant(days_ahead=5, hour=10)
    sessions = sign_in_all(server.url, patients(PATIENTS))
    try:
        responses = all_at_once([book_call(server.url, session, iso(start)) for session in sessions])
    finally:
        for session in sessions:
            session.close()

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: PATIENTS - 1}, server.log_tail()
    winner = next(response.json() for response in responses if response.status_code == 201)
    assert winner["status"] == "confirmed"
    for response in responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["code"] == "slot_taken"
            nearest = [datetime.fromisoformat(value) for value in error["nearest"]]
            assert nearest and start not in nearest
    booked = active_appointments(consultation)
    assert [(a.id, a.starts_at) for a in booked] == [(winner["id"], start)]


def test_a_reschedule_racing_new_bookings_into_one_time_lets_exactly_one_have_it(server, consultation, patients,
                                                                                 book_appointment):
    first, wanted = local_instant(days_ahead=3, hour=11), local_instant(days_ahead=5, hour=14)
    mover, *bookers = patients(11)
    moving = book_appointment(mover, consultation, starts_at=first, patient_timezone=ZONE)
    move_path = f"{server.url}/account/appointments/{moving.id}/reschedule"  # threads have no app context
    sessions = sign_in_all(server.url, [mover, *bookers])
    try:
        mover_session = sessions[0]
        move = lambda: mover_session.post(  # noqa: E731
            move_path,
            # the confirmation page's own submit (confirm=1): the one that moves it
            data={"start": iso(wanted), "confirm": "1", "csrf_token": mover_session.headers["X-CSRFToken"]},
            allow_redirects=False, timeout=TIMEOUT)
        responses = all_at_once([move, *(book_call(server.url, session, iso(wanted)) for session in sessions[1:])])
    finally:
        for session in sessions:
            session.close()

    moved, booked = responses[0], responses[1:]
    statuses = (moved.status_code, Counter(r.status_code for r in booked))
    assert moved.status_code in (303, 409), (statuses, server.log_tail())
    assert set(statuses[1]) <= {201, 409}, (statuses, server.log_tail())
    assert (moved.status_code == 303) + statuses[1][201] == 1, statuses

    active = active_appointments(consultation)
    assert_no_overlap(active)
    at_wanted = [a for a in active if a.starts_at == wanted]
    assert len(at_wanted) == 1
    db.session.refresh(moving)
    if moved.status_code == 303:
        assert at_wanted[0].id == moving.id and moving.rescheduled_from == first
    else:
        assert moving.starts_at == first and moving.status == "confirmed"
        assert at_wanted[0].patient_id != mover.id
