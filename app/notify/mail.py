"""Email through the outbox.

`queue_email` renders a message and adds it to the outbox in the caller's transaction. Once that
transaction commits, the messages it created are delivered at the end of the request (or by
`deliver_committed()` in a CLI command). A failed delivery stays in the outbox and `flask send-outbox`
retries it with backoff (and so does the next request that delivers mail, for a few messages). A
message is claimed with a conditional UPDATE before it is sent, so two
processes never send the same message.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, current_app, g, render_template
from sqlalchemy import event, select, update

from app.clock import utcnow
from app.extensions import db
from app.models.notify import OutboxMessage

log = logging.getLogger("homeostasis.mail")
CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
RETRY_ON_REQUEST = 5  # earlier failures retried after a request that delivered mail


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


def _pending() -> dict:
    if "outbox" not in g:
        g.outbox = {"flushed": set(), "committed": set()}
    return g.outbox


def _after_flush(session, flush_context):
    from flask import has_app_context

    if not has_app_context():
        return
    ids = {obj.id for obj in session.new if isinstance(obj, OutboxMessage)}
    if ids:
        _pending()["flushed"].update(ids)


def _after_commit(session):
    from flask import has_app_context

    if has_app_context() and "outbox" in g:
        g.outbox["committed"].update(g.outbox["flushed"])
        g.outbox["flushed"].clear()


def _after_rollback(session):
    from flask import has_app_context

    if has_app_context() and "outbox" in g:
        g.outbox["flushed"].clear()


def deliver_committed() -> int:
    """Deliver the messages committed in this request/command. Returns how many were sent."""
    if "outbox" not in g or not g.outbox["committed"]:
        return 0
    ids = sorted(g.outbox["committed"])
    g.outbox["committed"].clear()
    return sum(_claim_and_send(message_id) for message_id in ids)


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Retry what is due in the outbox (the cron job). Returns (sent, failed)."""
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for message_id in ids:
        if _claim_and_send(message_id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def _claim_and_send(message_id: str) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return False
    message = db.session.get(OutboxMessage, message_id)
    email, attempts = _build(message), message.attempts
    db.session.commit()  # hold no transaction (and on SQLite no write lock) while talking to the server
    try:
        _send(email)
    except (OSError, smtplib.SMTPException) as exc:
        backoff = min(timedelta(minutes=2 ** min(attempts, 12)), MAX_BACKOFF)
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        _mark(message_id, next_attempt_at=utcnow() + backoff, last_error=error)
        log.warning("email %s not delivered (attempt %s): %s", message_id, attempts, error)
        return False
    _mark(message_id, sent_at=utcnow(), last_error=None)
    return True


def _mark(message_id: str, **values) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


def _build(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Message-ID"] = make_msgid(idstring=message.id, domain="homeostasis")
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


def _send(email: EmailMessage) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        log.info("email (console backend)\n%s", email.as_string())
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    if not _listening:  # session events are global; register them once per process
        event.listen(db.session, "after_flush", _after_flush)
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)
        _listening = True

    @app.after_request
    def _deliver_after_commit(response):
        try:
            if deliver_committed():
                # The mail server just answered: a good moment to retry a few earlier failures too.
                deliver_due(limit=RETRY_ON_REQUEST)
        except Exception:  # delivery problems never break the response; the outbox keeps the mail
            log.exception("outbox delivery failed")
            db.session.rollback()
        return response
