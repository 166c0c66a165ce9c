"""The periodic jobs, declared once. Each is one function here, and one row of `PERIODIC` (name,
schedule, function, queue, description), from which the worker's periodic tasks (app/tasks.py), the
flask commands (app/cli.py) and the README's table (tests/unit/test_periodic_jobs.py compares it) are
made. Each job is safe to run on several hosts at once (rows are claimed before anything is sent) and
commits its own work."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, update

from app import storage
from app.billing.client import enabled
from app.billing.holds import expire_holds as release_expired_holds
from app.billing.refunds import send_pending
from app.calendars import SyncResult, SyncRunning, sync_all
from app.clock import utcnow
from app.database import rowcount
from app.diary.reminders import send_diary_reminders as queue_diary_reminders
from app.extensions import db
from app.models.accounts import UserSession
from app.models.billing import StripeEvent
from app.models.notify import OutboxMessage
from app.notify.digest import send_daily_agendas
from app.notify.mail import deliver_due
from app.notify.reminders import send_reminders as queue_reminders
from app.notify.waitlist import process
from app.privacy.retention import purge_due


def send_outbox(limit: int = 200) -> tuple[int, int]:
    return deliver_due(limit)


def expire_holds() -> tuple[int, int]:
    """(holds released, waitlist offers made). A lapsed waitlist offer passes to the next patient at once."""
    released = release_expired_holds(utcnow())
    offered = process(utcnow(), take_payment=enabled())
    db.session.commit()
    return released, offered


def process_waitlist() -> int:
    offered = process(utcnow(), take_payment=enabled())
    db.session.commit()
    return offered


def retry_refunds() -> tuple[int, int] | None:
    """(sent, still pending), or None when Stripe is not configured."""
    if not enabled():
        return None
    return send_pending()


def send_reminders() -> int:
    queued = queue_reminders(utcnow())
    db.session.commit()
    return queued


def send_daily_agenda() -> int:
    queued = send_daily_agendas(utcnow())
    db.session.commit()
    return queued


def send_diary_reminders() -> int:
    queued = queue_diary_reminders(utcnow())
    db.session.commit()
    return queued


def sync_calendars() -> list[SyncResult]:
    return sync_all(utcnow())


def purge() -> dict[str, int]:
    """Forget what is no longer needed: sessions past their absolute or idle expiry (or revoked),
    the bodies of emails delivered more than OUTBOX_RETENTION_DAYS ago (the row stays: it is the
    record that the email was sent, and its dedupe key keeps it from being sent twice), and Stripe
    event ids older than STRIPE_EVENT_RETENTION_DAYS (Stripe retries an event for 3 days), and deleted
    patients' clinical records whose retention period has ended (app/privacy/retention.py), files included."""
    config, now = current_app.config, utcnow()
    sessions = rowcount(db.session.execute(delete(UserSession).where(or_(
        UserSession.revoked_at.is_not(None),
        UserSession.created_at < now - config["PERMANENT_SESSION_LIFETIME"],
        UserSession.last_seen_at < now - config["SESSION_IDLE_TIMEOUT"]))))
    bodies = rowcount(db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.sent_at < now - timedelta(days=config["OUTBOX_RETENTION_DAYS"]),
               OutboxMessage.text_body != "")
        .values(text_body="", html_body=None, attachments=None)))
    events = rowcount(db.session.execute(delete(StripeEvent).where(
        StripeEvent.received_at < now - timedelta(days=config["STRIPE_EVENT_RETENTION_DAYS"]))))
    records = purge_due(now)
    db.session.commit()
    if records:
        storage.forget_deleted()  # SQLite: no copy of the purged files' bytes left in the write-ahead log
    return {"sessions": sessions, "outbox_bodies": bodies, "stripe_events": events, "retained_records": records}


# --- the table ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One periodic job: the worker's periodic task and the flask command of the same name."""

    name: str
    schedule: str  # a cron line, UTC: the worker's crontab, and the line for a cron-only setup
    function: Callable[..., Any]  # its keyword parameters with defaults are the command's options
    description: str  # the command's help and the README's table
    report: Callable[[Any, int], str]  # the command's output, from (result, emails it delivered)
    queue: str = "huey"  # app.tasks.huey or app.tasks.calendar_huey, each with its own consumer
    delivers: bool = False  # the command delivers the emails it queued at once (it needs no worker)
    busy: tuple[type[Exception], ...] = ()  # another run holds the job: the command refuses, the task skips
    busy_result: str = ""  # what the task records when it skipped
    recorded: Callable[[Any], object] = lambda result: result  # what the task records as its result

    @property
    def when(self) -> str:
        return describe(self.schedule)


def describe(schedule: str) -> str:
    """A cron line in words: "every minute", "every 5 minutes", "daily at 03:17 UTC"."""
    minute, hour, *rest = schedule.split()
    if rest != ["*", "*", "*"]:
        raise ValueError(f"only minute and hour schedules are described, not {schedule!r}")
    if hour == "*" and minute == "*":
        return "every minute"
    if hour == "*" and minute.startswith("*/") and minute[2:].isdigit():
        return f"every {int(minute[2:])} minutes"
    if hour.isdigit() and minute.isdigit():
        return f"daily at {int(hour):02d}:{int(minute):02d} UTC"
    raise ValueError(f"no words for the schedule {schedule!r}")


def _sync_report(results: list[SyncResult], _sent: int) -> str:
    lines = [f"calendar {r.calendar_id} {r.name}: "
             + (f"{r.busy} busy time(s){' (changed)' if r.changed else ''}" if r.ok
                else f"failed: {r.error} (kept the last known busy times)") for r in results]
    return "\n".join([*lines, f"synced {sum(r.ok for r in results)} of {len(results)} calendar(s)"])


PERIODIC: tuple[Job, ...] = (
    Job("send-outbox", "* * * * *", send_outbox,
        "Delivers emails that failed earlier, with backoff.",
        lambda r, _: f"sent {r[0]}, failed {r[1]}"),
    Job("expire-holds", "* * * * *", expire_holds,
        "Releases holds whose payment time ran out and expires their Checkout Sessions, then passes "
        "lapsed waitlist offers to the next patient. A session Stripe says was paid meanwhile is "
        "fulfilled instead; one it cannot settle (Stripe down) is asked about again on every run until "
        "it is paid or expired.",
        lambda r, _: f"released {r[0]} hold(s), offered {r[1]} time(s) from the waitlist", delivers=True),
    Job("process-waitlist", "*/5 * * * *", process_waitlist,
        "Offers open times to waiting patients, one at a time, each held for `WAITLIST_HOLD_MINUTES` "
        "(see Waitlist); also run after cancellations and by `expire-holds`.",
        lambda r, sent: f"offered {r} time(s), sent {sent} email(s)", delivers=True),
    Job("retry-refunds", "*/5 * * * *", retry_refunds,
        "Sends refunds Stripe has not confirmed yet (a 5xx, a timeout or a lost answer is retried with "
        "the same idempotency key). A refund Stripe refuses (a 4xx: already refunded, disputed) is "
        "marked failed with Stripe's reason on the practitioner's appointment page, which offers the "
        "refund form again; it is not resent.",
        lambda r, _: "Stripe is not configured; nothing to send." if r is None
        else f"sent {r[0]}, still pending {r[1]}"),
    Job("send-reminders", "*/5 * * * *", send_reminders,
        "Queues and sends due appointment and intake reminders, each once.",
        lambda r, sent: f"queued {r} reminder(s), sent {sent}", delivers=True),
    Job("send-daily-agenda", "*/15 * * * *", send_daily_agenda,
        "Emails each practitioner who turned it on her day's agenda at 07:00 her time.",
        lambda r, _: f"queued {r} agenda(s)", delivers=True),
    Job("send-diary-reminders", "*/15 * * * *", send_diary_reminders,
        "Queues and sends the opt-in evening diary nudges and the baseline tryptase reminders, each once.",
        lambda r, _: f"queued {r} diary reminder(s)", delivers=True),
    Job("sync-calendars", "*/15 * * * *", sync_calendars,
        "Reads the practitioner's own calendars into busy times (see Calendars); one sync runs at a "
        "time on all hosts.",
        _sync_report, queue="calendar_huey", busy=(SyncRunning,), busy_result="another sync was running",
        recorded=len),
    Job("purge", "17 3 * * *", purge,
        "Deletes expired sessions, the bodies of emails delivered over `OUTBOX_RETENTION_DAYS` ago, "
        "Stripe event ids over `STRIPE_EVENT_RETENTION_DAYS` old and deleted patients' clinical records "
        "past their retention period (files included).",
        lambda r, _: f"purged {r['sessions']} session(s), {r['outbox_bodies']} email body(ies), "
                     f"{r['stripe_events']} Stripe event id(s), {r['retained_records']} retained record(s)"),
)


def markdown_table(jobs: tuple[Job, ...] = PERIODIC) -> str:
    """The README's table of the periodic jobs (a test keeps the README's copy equal to this)."""
    rows = ["| Command and periodic task | Worker | Cron line (UTC) | Queue | What it does |",
            "| --- | --- | --- | --- | --- |"]
    rows += [f"| `{job.name}` | {job.when} | `{job.schedule}` | `{job.queue}` | {job.description} |"
             for job in jobs]
    return "\n".join(rows)
