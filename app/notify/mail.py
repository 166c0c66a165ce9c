"""Email through the outbox.

`queue_email` renders a message and adds it to the outbox in the caller's transaction. Once that
transaction commits, a session hook hands each new message to the task queue (app/tasks.py); the
worker delivers it. No request talks to the mail server. A transient failure (connection error, 4xx)
stays in the outbox and the periodic send-outbox retries it with backoff; a permanent 5xx marks it
failed, for the practitioner to see on /practice/mail. A message is claimed with a conditional
UPDATE before it is sent, so two workers never send the same message at once.

What is guaranteed is at-least-once, with one Message-ID: a worker that dies after the mail server
accepted a message but before the outbox recorded it (a commit made the moment the server says 250,
before QUIT) leaves the claim to lapse (CLAIM_LEASE) and the message is sent again, with the same
Message-ID (`message_id_for`), so a mail client or server that recognises duplicates can show it once.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from sqlalchemy import event, select, update

from app.clock import utcnow
from app.database import rowcount
from app.extensions import db
from app.models.notify import OutboxMessage

log = logging.getLogger("homeostasis.mail")
CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


def queue_email(to: str, template: str, *, subject: str, kind: str | None = None,
                dedupe_key: str | None = None, attachments: list[dict] | None = None,
                **context) -> OutboxMessage | None:
    """Render templates/email/<template>.txt (and .html if present) into an outbox row.

    With a `dedupe_key` already in the outbox nothing is added (None): the message was queued once.
    """
    if dedupe_key is not None and db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    context.setdefault("practice_name", current_app.config["PRACTICE_NAME"])
    context.setdefault("base_url", current_app.config["BASE_URL"])
    text = render_template(f"email/{template}.txt", subject=subject, **context)
    try:
        html = render_template(f"email/{template}.html", subject=subject, **context)
    except Exception as exc:  # a text-only message is fine
        if exc.__class__.__name__ != "TemplateNotFound":
            raise
        html = None
    message = OutboxMessage(to=to, subject=subject, text_body=text, html_body=html,
                            attachments=attachments, kind=kind or template, dedupe_key=dedupe_key)
    db.session.add(message)
    return message


def queue_for(user, template: str, *, subject: str, essential: bool, **kwargs) -> OutboxMessage | None:
    """Queue a message to a person, honouring "no non-essential emails" (User.email_opt_out).

    Essential (always sent): anything about the person's own appointments, payments, refunds and
    intake before a visit, reminders included, and account security. Non-essential: the
    practitioner's notices of bookings, changes and cancellations (her agenda and calendar feed show
    them too) and anything promotional. See README, "Notifications".
    """
    if user is None or (not essential and user.email_opt_out):
        return None
    return queue_email(user.email, template, subject=subject, **kwargs)


# New outbox rows and refunds are noted on the session as they are flushed; once the transaction
# commits they are handed to the task queue (app/tasks.py). A rollback forgets them.
_FLUSHED = "homeostasis_flushed"
_COMMITTED = "homeostasis_committed_outbox"


def _after_flush(session, flush_context):
    from app.models.billing import Refund, RefundStatus

    noted = session.info.setdefault(_FLUSHED, {"outbox": set(), "refunds": set(), "expire": set()})
    for obj in session.new:
        if isinstance(obj, OutboxMessage):
            noted["outbox"].add(obj.id)
        elif isinstance(obj, Refund) and obj.status == RefundStatus.PENDING:
            noted["refunds"].add(obj.id)


def note_checkout_to_expire(payment_id: int) -> None:
    """Ask the worker, after this transaction commits, to expire a payment's Checkout Session."""
    noted = db.session.info.setdefault(_FLUSHED, {"outbox": set(), "refunds": set(), "expire": set()})
    noted["expire"].add(payment_id)


# Who is handed the committed rows: app.tasks.enqueue_after_commit, set by the factory (the task queue
# sits above this module: it imports the senders, so this module does not import it).
_enqueue: Callable[..., None] | None = None


def on_commit(enqueue: Callable[..., None]) -> None:
    global _enqueue
    _enqueue = enqueue


def _after_commit(session):
    noted = session.info.pop(_FLUSHED, None)
    if not noted or not any(noted.values()):
        return
    session.info.setdefault(_COMMITTED, set()).update(noted["outbox"])
    if _enqueue is None:  # no queue in this process: the periodic sweeps (or the CLI) send the rows
        log.warning("no task queue registered; %d committed row(s) wait for the sweep", sum(map(len, noted.values())))
        return
    _enqueue(outbox_ids=sorted(noted["outbox"]), refund_ids=sorted(noted["refunds"]),
             expire_payment_ids=sorted(noted["expire"]))


def _after_rollback(session):
    session.info.pop(_FLUSHED, None)


def deliver_committed() -> int:
    """Deliver, now, the messages this session committed (the CLI commands use it so that they keep
    working without a worker; the queued task then finds the message sent). Returns how many were sent."""
    ids = sorted(db.session.info.pop(_COMMITTED, set()))
    return sum(deliver(message_id) for message_id in ids)


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Retry what is due in the outbox (the periodic job). Returns (sent, not sent)."""
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for message_id in ids:
        if deliver(message_id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def _permanent(exc: Exception) -> bool:
    """A 5xx reply is the server's final word (RFC 5321): retrying sends nothing. Connection errors
    and 4xx replies are transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def deliver(message_id: str) -> bool:
    """Send one outbox message if it is due: it is claimed with a conditional UPDATE first, so a second
    worker (or a CLI run) finds nothing to send. It is marked sent, in its own transaction, as soon as the
    server accepted it: a crash between those two sends it again after the lease, with the same Message-ID.
    Returns True when it was sent."""
    now = utcnow()
    claimed = rowcount(db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.failed_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE, attempts=OutboxMessage.attempts + 1)))
    db.session.commit()
    if not claimed:
        return False
    message = db.session.get(OutboxMessage, message_id)
    if message is None:  # deleted since the claim (erasing a patient deletes the mail sent to them)
        return False
    try:
        email, attempts = _build(message), message.attempts
    except (ValueError, TypeError, KeyError, UnicodeError) as exc:
        # It can never be built (e.g. a line break in a Subject made from a name saved before one-line
        # fields were checked): failed at once, listed at /practice/mail, not retried for ever.
        error = f"cannot be built: {exc.__class__.__name__}: {exc}"[:500]
        _mark(message_id, failed_at=utcnow(), last_error=error)
        log.warning("email %s %s", message_id, error)
        return False
    db.session.commit()  # hold no transaction (and on SQLite no write lock) while talking to the server
    marked = False

    def mark_sent() -> None:
        nonlocal marked
        _mark(message_id, sent_at=utcnow(), last_error=None)
        marked = True

    try:
        _send(email, mark_sent)
    except (OSError, smtplib.SMTPException) as exc:
        if marked:  # the server took it and it is marked sent; only the goodbye (QUIT) failed
            log.info("email %s sent; the server's goodbye failed: %s", message_id, exc)
            return True
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        if _permanent(exc):
            _mark(message_id, failed_at=utcnow(), last_error=error)
            log.warning("email %s refused permanently: %s", message_id, error)
            return False
        backoff = min(timedelta(minutes=2 ** min(attempts, 12)), MAX_BACKOFF)
        _mark(message_id, next_attempt_at=utcnow() + backoff, last_error=error)
        log.warning("email %s not delivered (attempt %s): %s", message_id, attempts, error)
        return False
    return True


def retry_failed(message_id: str) -> bool:
    """The practitioner's "Send again" for a refused message: due now, counted afresh. False if it is
    not a failed message (already sent, or retried by someone else)."""
    retried = rowcount(db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.failed_at.is_not(None),
               OutboxMessage.sent_at.is_(None))
        .values(failed_at=None, next_attempt_at=utcnow(), attempts=0)))
    return bool(retried)


def _mark(message_id: str, **values) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


def _build(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Message-ID"] = message_id_for(message.id)
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments or []:
        maintype, subtype = attachment["content_type"].split(";")[0].split("/")
        params = {}
        if "method=" in attachment["content_type"]:
            params["method"] = attachment["content_type"].split("method=")[1].strip()
        if maintype == "text":  # e.g. an invite: UTF-8 text, readable by any client, names intact
            email.add_attachment(attachment["content"], subtype=subtype, charset="utf-8",
                                 filename=attachment["filename"], params=params)
        else:
            email.add_attachment(attachment["content"].encode(), maintype=maintype, subtype=subtype,
                                 filename=attachment["filename"], params=params)
    return email


def message_id_for(outbox_id: str) -> str:
    """`<outbox-ID@DOMAIN>`: the same for every attempt at one outbox row (the row's id is a random
    UUID), DOMAIN the sender's (MAIL_DEFAULT_SENDER), else BASE_URL's host. RFC 5322 section 3.6.4."""
    config = current_app.config
    _, at, domain = parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")
    domain = domain if at else urlsplit(config["BASE_URL"]).hostname
    return f"<outbox-{outbox_id}@{domain or 'localhost'}>"


def _send(email: EmailMessage, accepted: Callable[[], None]) -> None:
    """Hand `email` to the server; `accepted()` runs the moment the server accepted it (its reply to
    DATA), before the goodbye: the window for a duplicate is that call's commit, nothing more."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        log.info("email (console backend)\n%s", email.as_string())
        accepted()
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
        accepted()


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    if not _listening:  # session events are global; register them once per process
        event.listen(db.session, "after_flush", _after_flush)
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)
        _listening = True
