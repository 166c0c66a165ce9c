"""The task queue (Huey): everything that talks to the mail server or Stripe happens here, never in
a request.

- One task per new outbox message and per pending refund, enqueued by a session hook once the
  transaction that wrote them commits (app/notify/mail.py). The outbox and refund rows stay the
  source of truth: a task lost with a crashed worker is picked up by the periodic sweep.
- Periodic tasks replace the cron lines (each calls the same function as its flask command, app/jobs.py).

The backend comes from HUEY_URL: `redis://...` (production, shared by every host), `sqlite:///PATH`,
or unset: a SQLite file instance/huey.sqlite3 (development). Run the worker with
`huey_consumer app.tasks.huey`; `make run` starts it beside the web server.
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from config import INSTANCE_DIR

log = logging.getLogger("homeostasis.tasks")
NAME = "homeostasis"


def build_huey(url: str | None) -> "SqliteHuey | RedisHuey | MemoryHuey":
    """Task results are not kept (nothing reads them; Redis would only grow)."""
    url = url or f"sqlite:///{INSTANCE_DIR / 'huey.sqlite3'}"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(NAME, filename=str(path), results=False)
    if url == "memory://":
        return MemoryHuey(NAME, results=False)
    raise RuntimeError(f"HUEY_URL must start with redis://, rediss://, unix:// or sqlite:///, not {url!r}")


huey = build_huey(os.environ.get("HUEY_URL"))

_app: Flask | None = None


def init_app(app: Flask) -> None:
    """The app whose configuration and database the tasks use in this process (the worker builds its
    own from the environment on first use); committed outbox rows and refunds are enqueued here."""
    global _app
    _app = app
    from app.notify import mail

    mail.on_commit(enqueue_after_commit)


def flask_app() -> Flask:
    if _app is None:
        from app import create_app

        app = create_app()
        init_app(app)
        return app
    return _app


def _in_app(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        from app.database import writes_immediately

        with flask_app().app_context(), writes_immediately():
            return fn(*args, **kwargs)
    return run


# --- one task per message / refund -------------------------------------------------------------

@huey.task()
@_in_app
def deliver_email(message_id: str) -> bool:
    """Send one outbox message (claimed first: exactly once). A transient failure leaves it in the
    outbox with a backoff for send_outbox; a permanent 5xx marks it failed."""
    from app.notify.mail import deliver

    return deliver(message_id)


@huey.task()
@_in_app
def send_refund(refund_id: int) -> bool:
    """Send one pending refund to Stripe (claimed first, so no two hosts send it at once). If Stripe
    cannot be reached the refund stays pending and retry_refunds sends it later."""
    from app.billing.client import enabled
    from app.billing.refunds import send

    return enabled() and send(refund_id)


@huey.task()
@_in_app
def expire_checkout(payment_id: int) -> None:
    from app.billing.client import enabled
    from app.billing.consultations import expire_checkout_now

    if enabled():
        expire_checkout_now(payment_id)


def enqueue_after_commit(*, outbox_ids=(), refund_ids=(), expire_payment_ids=()) -> None:
    """Called by the session hook once a transaction committed. Enqueueing is a write to Redis or the
    local SQLite file, never a wait on SMTP or Stripe. If the queue is down the rows stay due and the
    periodic sweeps send them."""
    try:
        for message_id in outbox_ids:
            deliver_email(message_id)
        for refund_id in refund_ids:
            send_refund(refund_id)
        for payment_id in expire_payment_ids:
            expire_checkout(payment_id)
    except Exception:
        log.exception("task queue unavailable; the periodic sweep will deliver what was committed")


# --- periodic tasks (the former cron lines) ----------------------------------------------------

def _periodic(schedule, name: str):
    """A periodic task that records when it last ran (GET /healthz reports it)."""
    def decorate(fn):
        @huey.periodic_task(schedule, name=name)
        @_in_app
        @functools.wraps(fn)
        def run():
            result = fn()
            record_run(name, result)
            return result
        return run
    return decorate


def record_run(name: str, result) -> None:
    from app.clock import utcnow
    from app.extensions import db
    from app.models.notify import WorkerRun

    db.session.rollback()
    row = db.session.get(WorkerRun, name) or WorkerRun(name=name)
    row.last_run_at = utcnow()
    row.last_result = str(result)[:200]
    db.session.add(row)
    db.session.commit()


@_periodic(crontab(minute="*"), "send-outbox")
def periodic_send_outbox():
    from app import jobs

    return jobs.send_outbox()


@_periodic(crontab(minute="*"), "expire-holds")
def periodic_expire_holds():
    from app import jobs

    return jobs.expire_holds()


@_periodic(crontab(minute="*/5"), "process-waitlist")
def periodic_process_waitlist():
    from app import jobs

    return jobs.process_waitlist()


@_periodic(crontab(minute="*/5"), "retry-refunds")
def periodic_retry_refunds():
    from app import jobs

    return jobs.retry_refunds()


@_periodic(crontab(minute="*/5"), "send-reminders")
def periodic_send_reminders():
    from app import jobs

    return jobs.send_reminders()


@_periodic(crontab(minute="*/15"), "send-daily-agenda")
def periodic_send_daily_agenda():
    from app import jobs

    return jobs.send_daily_agenda()


@_periodic(crontab(minute="*/15"), "send-diary-reminders")
def periodic_send_diary_reminders():
    from app import jobs

    return jobs.send_diary_reminders()


@_periodic(crontab(minute="*/15"), "sync-calendars")
def periodic_sync_calendars():
    from app import jobs

    return len(jobs.sync_calendars())


@_periodic(crontab(minute="17", hour="3"), "purge")
def periodic_purge():
    from app import jobs

    return jobs.purge()


PERIODIC = ("send-outbox", "expire-holds", "process-waitlist", "retry-refunds", "send-reminders",
            "send-daily-agenda", "send-diary-reminders", "sync-calendars", "purge")
