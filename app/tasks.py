"""The task queue (Huey): everything that talks to the mail server or Stripe happens here, never in
a request.

- One task per new outbox message and per pending refund, enqueued by a session hook once the
  transaction that wrote them commits (app/notify/mail.py). The outbox and refund rows stay the
  source of truth: a task lost with a crashed worker is picked up by the periodic sweep.
- Periodic tasks replace the cron lines: one per row of app/jobs.py's table (`PERIODIC`), which the
  flask commands are made from too.

The backend comes from HUEY_URL: `redis://...` (production, shared by every host), `sqlite:///PATH`,
or unset: a SQLite file instance/huey.sqlite3 (development). Two queues, each its own consumer:
`huey_consumer app.tasks.huey` (mail, refunds, the sweeps) and `huey_consumer app.tasks.calendar_huey`
(calendar syncs); `make run` starts both beside the web server.
"""
from __future__ import annotations

import functools
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from app import create_app, leases
from app.billing.client import enabled
from app.billing.consultations import expire_checkout_now
from app.billing.refunds import send
from app.database import writes_immediately
from app.extensions import db
from app.jobs import PERIODIC, Job
from app.notify import mail
from config import INSTANCE_DIR

log = logging.getLogger("homeostasis.tasks")
NAME = "homeostasis"


class _OncePerTick:
    """Every consumer runs a scheduler (so the schedule survives any one host), and each due periodic
    task is enqueued by the one scheduler that claims its minute first in the database
    (app/leases.py: claim_tick), so N workers run each periodic job once per tick, not N times.
    `due(timestamp)` is the schedule alone."""

    def due(self, timestamp: datetime | None = None) -> list:
        return super().read_periodic(timestamp)  # type: ignore[misc]

    def read_periodic(self, timestamp: datetime | None = None) -> list:
        due = self.due(timestamp)
        if not due:
            return due
        moment = timestamp or datetime.now(timezone.utc)
        tick = moment.replace(second=0, microsecond=0,
                              tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)
        try:
            with flask_app().app_context(), writes_immediately():
                claimed = [task for task in due if leases.claim_tick(task.name, tick)]
        except Exception:
            log.exception("could not claim the periodic tasks of %s; another host's scheduler will run them", tick)
            return []
        log.info("periodic tasks due at %s: %d claimed here, %d by another scheduler",
                 tick.strftime("%H:%M"), len(claimed), len(due) - len(claimed))
        return claimed


class _RedisQueue(_OncePerTick, RedisHuey):
    pass


class _SqliteQueue(_OncePerTick, SqliteHuey):
    pass


class _MemoryQueue(_OncePerTick, MemoryHuey):
    pass


Queue = _RedisQueue | _SqliteQueue | _MemoryQueue


def build_huey(url: str | None, name: str = NAME) -> Queue:
    """Task results are not kept (nothing reads them; Redis would only grow)."""
    url = url or f"sqlite:///{INSTANCE_DIR / 'huey.sqlite3'}"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return _RedisQueue(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return _SqliteQueue(name, filename=str(path), results=False)
    if url == "memory://":
        return _MemoryQueue(name, results=False)
    raise RuntimeError(f"HUEY_URL must start with redis://, rediss://, unix:// or sqlite:///, not {url!r}")


# Two queues on the same backend, each with its own consumer: `huey` for mail, refunds, Checkout
# expiry and the periodic sweeps; `calendar_huey` for calendar syncs only, whose fetches talk to
# servers anyone can name, so a slow one never delays an email (`huey_consumer app.tasks.calendar_huey`).
huey = build_huey(os.environ.get("HUEY_URL"))
calendar_huey = build_huey(os.environ.get("HUEY_URL"), f"{NAME}-calendars")

_app: Flask | None = None


def init_app(app: Flask) -> None:
    """The app whose configuration and database the tasks use in this process (the worker builds its
    own from the environment on first use); committed outbox rows and refunds are enqueued here."""
    global _app
    _app = app
    mail.on_commit(enqueue_after_commit)


def flask_app() -> Flask:
    if _app is None:
        app = create_app()
        init_app(app)
        return app
    return _app


def _in_app(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with flask_app().app_context(), writes_immediately():
            return fn(*args, **kwargs)
    return run


# --- one task per message / refund -------------------------------------------------------------

@huey.task()
@_in_app
def deliver_email(message_id: str) -> bool:
    """Send one outbox message (claimed first: exactly once). A transient failure leaves it in the
    outbox with a backoff for send_outbox; a permanent 5xx marks it failed."""
    return mail.deliver(message_id)


@huey.task()
@_in_app
def send_refund(refund_id: int) -> bool:
    """Send one pending refund to Stripe (claimed first, so no two hosts send it at once). If Stripe
    cannot be reached the refund stays pending and retry_refunds sends it later."""
    return enabled() and send(refund_id)


@huey.task()
@_in_app
def expire_checkout(payment_id: int) -> None:
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


# --- periodic tasks (the former cron lines): one per row of app/jobs.py's table -----------------

QUEUES: dict[str, Queue] = {"huey": huey, "calendar_huey": calendar_huey}


def record_run(name: str, result) -> None:
    db.session.rollback()
    leases.record_run(name, result)


def _periodic_task(job: Job):
    """The worker's task for `job`, on its queue and schedule; it records when it last ran (GET /healthz
    reports it)."""
    minute, hour, day, month, day_of_week = job.schedule.split()

    def run():
        try:
            result = job.recorded(job.function())
        except job.busy:
            result = job.busy_result
        record_run(job.name, result)
        return result

    run.__name__ = run.__qualname__ = f"periodic_{job.name.replace('-', '_')}"
    return QUEUES[job.queue].periodic_task(crontab(minute, hour, day, month, day_of_week), name=job.name)(
        _in_app(run))


PERIODIC_TASKS = {job.name: _periodic_task(job) for job in PERIODIC}
