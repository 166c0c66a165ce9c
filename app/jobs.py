"""The periodic jobs, each one function: the worker's periodic tasks (app/tasks.py) and the flask
commands (app/cli.py) call the same ones. Each is safe to run on several hosts at once (rows are
claimed before anything is sent) and commits its own work."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, update

from app.clock import utcnow
from app.database import rowcount
from app.extensions import db


def send_outbox(limit: int = 200) -> tuple[int, int]:
    from app.notify.mail import deliver_due

    return deliver_due(limit)


def expire_holds() -> tuple[int, int]:
    """(holds released, waitlist offers made). A lapsed waitlist offer passes to the next patient at once."""
    from app.billing.client import enabled
    from app.billing.holds import expire_holds as release
    from app.notify.waitlist import process

    released = release(utcnow())
    offered = process(utcnow(), take_payment=enabled())
    db.session.commit()
    return released, offered


def process_waitlist() -> int:
    from app.billing.client import enabled
    from app.notify.waitlist import process

    offered = process(utcnow(), take_payment=enabled())
    db.session.commit()
    return offered


def retry_refunds() -> tuple[int, int] | None:
    """(sent, still pending), or None when Stripe is not configured."""
    from app.billing.client import enabled
    from app.billing.refunds import send_pending

    if not enabled():
        return None
    return send_pending()


def send_reminders() -> int:
    from app.notify.reminders import send_reminders as queue_due

    queued = queue_due(utcnow())
    db.session.commit()
    return queued


def send_daily_agenda() -> int:
    from app.notify.digest import send_daily_agendas

    queued = send_daily_agendas(utcnow())
    db.session.commit()
    return queued


def send_diary_reminders() -> int:
    from app.diary.reminders import send_diary_reminders as queue_due

    queued = queue_due(utcnow())
    db.session.commit()
    return queued


def sync_calendars():
    from app.calendars import sync_all

    return sync_all(utcnow())


def purge() -> dict[str, int]:
    """Forget what is no longer needed: sessions past their absolute or idle expiry (or revoked),
    the bodies of emails delivered more than OUTBOX_RETENTION_DAYS ago (the row stays: it is the
    record that the email was sent, and its dedupe key keeps it from being sent twice), and Stripe
    event ids older than STRIPE_EVENT_RETENTION_DAYS (Stripe retries an event for 3 days), and deleted
    patients' clinical records whose retention period has ended (app/privacy/retention.py), files included."""
    from app import storage
    from app.models.accounts import UserSession
    from app.models.billing import StripeEvent
    from app.models.notify import OutboxMessage
    from app.privacy.retention import purge_due

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
