"""The task queue (issue 12): no request waits on the mail server or on Stripe; the worker delivers
each email exactly once, sends each refund once, stops on a permanent 5xx (shown to the practitioner)
and runs the periodic jobs. Also against a real consumer: a thread here (SQLite backend) and a
`huey_consumer` process on SQLite and, when a Redis answers at 127.0.0.1:6379, on Redis."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app import jobs, tasks
from app.clock import utcnow
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.notify import OutboxMessage, WorkerRun
from tests.conftest import DEFAULT_PASSWORD
from tests.support.mailbox import Mailbox, _Handler, free_port
from tests.support.web import csrf_token, post_confirmed, post_form
from tests.support.worker import run_pending

ROOT = Path(__file__).resolve().parents[2]


class BlackHole:
    """An SMTP address that accepts connections and never answers (the kernel completes the
    handshake into the listen backlog; nobody ever reads or writes)."""

    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)

    def answer(self) -> Mailbox:
        """The server comes back on the same address: a real SMTP server that keeps what it gets."""
        self.sock.close()
        box = Mailbox.__new__(Mailbox)  # a Mailbox on this port (Mailbox() would pick its own)
        box.messages, box.lock, box.port = [], threading.Lock(), self.port
        box.controller = Controller(_Handler(box), hostname="127.0.0.1", port=self.port)
        return box.start()


@pytest.fixture
def blackhole(app):
    hole = BlackHole()
    app.config.update(MAIL_PORT=hole.port, MAIL_TIMEOUT=10)
    yield hole
    hole.sock.close()


@pytest.fixture
def no_worker(client):
    client.run_worker = False  # nothing runs the queue unless the test does
    return client


def sent_at(message_id):
    db.session.commit()  # a fresh look: the worker wrote it from elsewhere
    return db.session.get(OutboxMessage, message_id, populate_existing=True).sent_at


@contextmanager
def timed():
    started = time.monotonic()
    elapsed = {}
    yield elapsed
    elapsed["s"] = time.monotonic() - started


def test_forgot_booking_and_cancel_answer_at_once_with_a_black_hole_mail_server_then_mail_goes_once(
        app, no_worker, blackhole, make_practice, make_user, auth):
    client = no_worker
    make_practice()
    make_user("ada@example.com")
    with timed() as forgot:
        page = post_form(client, "/auth/forgot-password", {"email": "ada@example.com"})
    assert page.status_code == 200 and forgot["s"] < 5  # MAIL_TIMEOUT is 10 s: it never waited on the server

    auth.login("ada@example.com", DEFAULT_PASSWORD)
    start = _first_open_time(client)
    token = csrf_token(client, "/account")
    with timed() as booking:
        made = client.post("/api/v1/bookings", json={"type": "initial", "start": start,
                                                     "safety_screen": {"all_no": True}},
                           headers={"X-CSRFToken": token})
    assert made.status_code == 201 and booking["s"] < 5
    path = f"/account/appointments/{made.get_json()['id']}"
    with timed() as cancel:
        cancelled = post_confirmed(client, f"{path}/cancel", {}, token_from=path)
    assert cancelled.status_code == 303 and cancel["s"] < 5

    messages = db.session.scalars(select(OutboxMessage.id)).all()
    assert len(messages) >= 3 and all(sent_at(m) is None for m in messages)  # queued, none sent yet
    assert tasks.huey.pending_count() >= len(messages)

    # The worker tries while the server is still a black hole: each attempt times out (1 s here,
    # the worker's own wait), nothing is sent, the message stays due later.
    app.config["MAIL_TIMEOUT"] = 1
    run_pending()
    assert all(sent_at(m) is None for m in messages)
    assert all(db.session.get(OutboxMessage, m).last_error for m in messages)

    box = blackhole.answer()
    try:
        with time_machine.travel(utcnow() + timedelta(minutes=3), tick=True):
            tasks.PERIODIC_TASKS["send-outbox"].call_local()  # the every-minute sweep, after the backoff
            tasks.PERIODIC_TASKS["send-outbox"].call_local()  # and again: nothing is sent twice
            for message_id in messages:               # nor by a late duplicate of a delivery task
                tasks.deliver_email(message_id)
            run_pending()
        assert all(sent_at(m) is not None for m in messages)
        assert len(box.messages) == len(messages)
        subjects = [str(m["Subject"]) for m in box.to("ada@example.com")]
        assert any("Reset your" in s for s in subjects)
    finally:
        box.stop()


def _first_open_time(client) -> str:
    from datetime import date

    today = date.today()
    slots = client.get("/api/v1/slots", query_string={
        "type": "initial", "start": (today + timedelta(days=2)).isoformat(),
        "end": (today + timedelta(days=20)).isoformat(), "tz": "UTC"}).get_json()
    return slots["slots"][0]["start"] if "slots" in slots else slots[0]["start"]


class _Refuse:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


def test_a_permanent_refusal_is_not_retried_and_shows_on_the_admin_page_with_a_retry(
        app, no_worker, make_practice, make_user, auth, mailbox):
    client = no_worker
    practitioner = make_practice()
    make_user("gone@example.com")
    port = free_port()
    refusing = Controller(_Refuse(), hostname="127.0.0.1", port=port)
    refusing.start()
    try:
        app.config["MAIL_PORT"] = port
        post_form(client, "/auth/forgot-password", {"email": "gone@example.com"})
        run_pending()
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "gone@example.com"))
        assert message.failed_at is not None and "550" in message.last_error and message.attempts == 1
        with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
            assert jobs.send_outbox() == (0, 0)  # never picked up again by itself
        assert db.session.get(OutboxMessage, message.id, populate_existing=True).attempts == 1
    finally:
        refusing.stop()

    app.config["MAIL_PORT"] = mailbox.port  # the address is fixed; the practitioner sends it again
    assert post_form(client, "/practice/mail/retry", {"message_id": message.id}).status_code in (302, 303)  # signed out
    auth.login(getattr(practitioner, "email", "dr@example.com"), DEFAULT_PASSWORD)
    page = client.get("/practice/mail").get_data(as_text=True)
    assert "gone@example.com" in page and "550" in page and "Send again" in page
    assert client.post("/practice/mail/retry", data={"message_id": message.id}).status_code == 400  # no CSRF token
    assert post_form(client, "/practice/mail/retry", {"message_id": message.id},
                     token_from="/practice/mail").status_code == 303
    assert post_form(client, "/practice/mail/retry", {"message_id": "nope"},
                     token_from="/practice/mail").status_code == 404
    run_pending()
    assert len(mailbox.to("gone@example.com")) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "email_retried")) == 1
    assert "gone@example.com" not in client.get("/practice/mail").get_data(as_text=True)
    assert post_form(client, "/practice/mail/retry", {"message_id": message.id},
                     token_from="/practice/mail").status_code == 409


def test_a_patient_cannot_see_or_retry_undelivered_mail(client, make_user, auth):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert client.get("/practice/mail").status_code == 403


def test_every_former_cron_line_and_the_purge_is_a_periodic_task():
    from datetime import datetime

    every_minute = {t.name for t in tasks.huey.due(datetime(2026, 12, 7, 10, 1))}
    quarter = {t.name for t in tasks.huey.due(datetime(2026, 12, 7, 10, 15))}
    nightly = {t.name for t in tasks.huey.due(datetime(2026, 12, 7, 3, 17))}
    assert every_minute == {"send-outbox", "expire-holds"}
    assert quarter == {"send-outbox", "expire-holds", "process-waitlist", "retry-refunds", "send-reminders",
                       "send-daily-agenda", "send-diary-reminders"}
    assert "purge" in nightly
    # Calendar syncs are on their own queue (and consumer): a slow calendar server never delays mail.
    assert {t.name for t in tasks.calendar_huey.due(datetime(2026, 12, 7, 10, 15))} == {"sync-calendars"}
    assert not tasks.calendar_huey.due(datetime(2026, 12, 7, 10, 1))


def test_each_declared_job_is_a_periodic_task_on_its_queue_and_a_flask_command(app):
    runner = app.test_cli_runner()
    for job in jobs.PERIODIC:
        task = tasks.PERIODIC_TASKS[job.name]
        assert task.name == job.name and task.huey is tasks.QUEUES[job.queue]
        help_text = " ".join(runner.invoke(args=[job.name, "--help"]).output.split())
        assert f"The worker runs it {job.when}." in help_text
    assert set(tasks.PERIODIC_TASKS) == {job.name for job in jobs.PERIODIC}
    assert "--limit INTEGER [default: 200]" in " ".join(runner.invoke(args=["send-outbox", "--help"]).output.split())


def test_a_periodic_run_is_recorded_and_healthz_reports_it(app, client):
    assert client.get("/healthz").get_json()["queue"]["last_periodic_run"] is None
    tasks.PERIODIC_TASKS["expire-holds"].call_local()
    run = db.session.scalar(select(WorkerRun).where(WorkerRun.name == "expire-holds"))
    assert run is not None
    assert client.get("/healthz").get_json()["queue"]["last_periodic_run"] == run.last_run_at.isoformat()


def test_purge_forgets_expired_sessions_old_mail_bodies_and_old_stripe_events(app, make_user):
    from app.models.accounts import UserSession
    from app.models.billing import StripeEvent

    user = make_user("ada@example.com")
    long_ago = utcnow() - timedelta(days=100)
    db.session.add_all([
        UserSession(token="0" * 64, user_id=user.id, created_at=long_ago, last_seen_at=long_ago),
        UserSession(token="f" * 64, user_id=user.id),
        OutboxMessage(to="a@example.com", subject="s", text_body="secret body", kind="k", sent_at=long_ago),
        OutboxMessage(to="b@example.com", subject="s", text_body="recent body", kind="k", sent_at=utcnow()),
        OutboxMessage(to="c@example.com", subject="s", text_body="unsent body", kind="k"),
        StripeEvent(id="evt_old", type="x", received_at=long_ago), StripeEvent(id="evt_new", type="x")])
    db.session.commit()
    assert jobs.purge() == {"sessions": 1, "outbox_bodies": 1, "stripe_events": 1, "retained_records": 0}
    assert {s.token for s in db.session.scalars(select(UserSession))} == {"f" * 64}
    assert sorted(m.text_body for m in db.session.scalars(select(OutboxMessage))) == ["", "recent body", "unsent body"]
    assert {e.id for e in db.session.scalars(select(StripeEvent))} == {"evt_new"}


# --- a real consumer -----------------------------------------------------------------------------

def test_a_consumer_thread_delivers_what_a_request_queued(app, no_worker, make_user, mailbox):
    make_user("ada@example.com")
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    consumer = tasks.huey.create_consumer(workers=2, worker_type="thread", periodic=False, check_worker_health=False)
    consumer.start()
    try:
        post_form(no_worker, "/auth/forgot-password", {"email": "ada@example.com"})
        assert len(mailbox.wait_for("ada@example.com", timeout=20)) == 1
    finally:
        consumer.stop(graceful=True)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    time.sleep(0.3)
    assert len(mailbox.to("ada@example.com")) == 1


def test_a_huey_consumer_process_delivers_what_a_request_queued_exactly_once(app, no_worker, make_user,
                                                                             mailbox, app_config):
    """A separate `huey_consumer app.tasks.huey` on this run's backend: the SQLite file by default,
    Redis when the run sets HUEY_URL=redis://... (CI's second pass, over PostgreSQL)."""
    make_user("ada@example.com")
    post_form(no_worker, "/auth/forgot-password", {"email": "ada@example.com"})
    message_id = db.session.scalar(select(OutboxMessage.id))
    for _ in range(2):  # the same delivery asked for twice more (a retried enqueue, a second host)
        tasks.deliver_email(message_id)
    assert tasks.huey.pending_count() == 3
    env = {**os.environ, "HOMEOSTASIS_ENV": "development",
           "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"], "MAIL_BACKEND": "smtp",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mailbox.port), "SECRET_KEY": "x" * 40}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "huey_consumer"), "app.tasks.huey",
                               "--workers", "3", "--worker-type", "thread", "--no-periodic"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert len(mailbox.wait_for("ada@example.com", timeout=30)) == 1
        deadline = time.monotonic() + 10
        while tasks.huey.pending_count() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert tasks.huey.pending_count() == 0
    assert len(mailbox.to("ada@example.com")) == 1
    assert sent_at(message_id) is not None


# --- several workers: each periodic job once per tick (issue 20 point 10) ----------------------------------

def _at_once(app, fn, n=2):
    """Call fn() in n threads released together, each with its own session; their results."""
    from app.database import writes_immediately

    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def run(i):
        with app.app_context(), writes_immediately():
            barrier.wait()
            try:
                results[i] = fn()
            except Exception as error:  # noqa: BLE001 (reported by the test)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def test_two_hosts_recording_the_first_run_on_a_fresh_database_do_not_collide(app):
    from app import leases

    _at_once(app, lambda: leases.record_run("send-outbox", "(0, 0)"))
    db.session.commit()
    run = db.session.get(WorkerRun, "send-outbox", populate_existing=True)
    assert run.runs == 2 and run.last_result == "(0, 0)"


def test_one_scheduler_of_several_claims_each_tick(app):
    from datetime import datetime, timezone

    from app import leases

    tick = datetime(2026, 12, 7, 10, 15, tzinfo=timezone.utc)
    assert sorted(_at_once(app, lambda: leases.claim_tick("send-outbox", tick), n=3)) == [False, False, True]
    assert leases.claim_tick("send-outbox", tick) is False  # a late scheduler, same minute
    assert leases.claim_tick("send-outbox", tick + timedelta(minutes=1)) is True  # the next minute
    assert leases.claim_tick("send-outbox", tick) is False  # never back in time
    # The schedule itself is unchanged: read_periodic gives a due task to one caller per minute.
    due = {t.name for t in tasks.huey.read_periodic(datetime(2026, 12, 7, 10, 30))}
    assert due == {"send-outbox", "expire-holds", "process-waitlist", "retry-refunds", "send-reminders",
                   "send-daily-agenda", "send-diary-reminders"}
    assert tasks.huey.read_periodic(datetime(2026, 12, 7, 10, 30)) == []


def test_two_huey_consumer_processes_run_each_periodic_job_once(app, mailbox, app_config, tmp_path):
    """Two hosts' workers (`huey_consumer app.tasks.huey`, scheduler on in both) on this run's queue
    backend and database: each due periodic job runs once in the minute, not twice."""
    if datetime.now(timezone.utc).second > 35:  # both schedulers must look within one minute
        time.sleep(61 - datetime.now(timezone.utc).second)
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    env = {**os.environ, "HOMEOSTASIS_ENV": "development",
           "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"], "MAIL_BACKEND": "smtp",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mailbox.port), "SECRET_KEY": "x" * 40}
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    files = [log.open("w") for log in logs]
    workers = [subprocess.Popen([str(Path(sys.executable).parent / "huey_consumer"), "app.tasks.huey",
                                 "--workers", "2", "--worker-type", "thread", "--verbose"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=file)
               for file in files]
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and not all(
                "periodic tasks due at" in log.read_text() for log in logs):
            time.sleep(0.2)
        assert all("periodic tasks due at" in log.read_text() for log in logs)  # both schedulers looked
        while time.monotonic() < deadline and (tasks.huey.pending_count() or not _runs()):
            time.sleep(0.2)
        time.sleep(1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        for file in files:
            file.close()
    assert datetime.now(timezone.utc) - minute < timedelta(minutes=1)
    runs = _runs()
    assert runs["send-outbox"] == 1 and runs["expire-holds"] == 1
    assert set(runs.values()) == {1}  # every job due this minute ran once
    enqueued = sum(log.read_text().count("Enqueueing periodic task") for log in logs)
    assert enqueued == len(runs)


def _runs() -> dict[str, int]:
    db.session.commit()
    return {name: runs for name, runs in db.session.execute(select(WorkerRun.name, WorkerRun.runs))}
