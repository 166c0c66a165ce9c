"""What the outbox guarantees (README, "Notifications"): every email is sent at least once, and a copy
sent again, after a worker died between the mail server's acceptance and the outbox's record of it, has
the same Message-ID as the first, so a mail client can tell it is the same message. The outbox records
the send the moment the server accepts it, before the goodbye."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, select

from app import jobs
from app.clock import utcnow
from app.extensions import db
from app.models.notify import OutboxMessage
from app.notify.mail import CLAIM_LEASE, queue_email

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hooks(mailbox):
    yield mailbox
    mailbox.on_data = mailbox.on_quit = None


def outbox_row(message_id: str) -> OutboxMessage:
    db.session.commit()  # a fresh look: another process or thread wrote it
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def queued(to: str = "ada@example.com") -> str:
    message = queue_email(to, "password_reset", subject="Reset your password", kind="password_reset",
                          user=None, reset_path="/auth/reset/x")
    db.session.commit()
    return message.id


def test_a_worker_killed_after_the_server_accepted_a_message_sends_it_again_with_the_same_message_id(
        app, app_config, hooks):
    mailbox = hooks
    message_id = queued()
    env = {**os.environ, "HOMEOSTASIS_ENV": "development", "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
           "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mailbox.port),
           "SECRET_KEY": "x" * 40}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "send-outbox"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mailbox.on_data = lambda message: worker.send_signal(signal.SIGKILL)  # dies as the server takes it
    assert worker.wait(timeout=60) == -signal.SIGKILL
    mailbox.on_data = None
    first = mailbox.wait_for("ada@example.com")
    assert len(first) == 1
    row = outbox_row(message_id)
    assert row.sent_at is None and row.attempts == 1  # claimed, never recorded as sent

    assert jobs.send_outbox() == (0, 0)  # the claim holds it for CLAIM_LEASE: no second copy at once
    with time_machine.travel(utcnow() + CLAIM_LEASE + timedelta(minutes=1), tick=True):
        assert jobs.send_outbox() == (1, 0)  # the periodic sweep after the lease
        assert jobs.send_outbox() == (0, 0)
    copies = mailbox.to("ada@example.com")
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"] == f"<outbox-{message_id}@homeostasis.example>"
    assert outbox_row(message_id).sent_at is not None


def test_the_outbox_records_the_send_as_soon_as_the_server_accepted_it_before_the_goodbye(app, app_config, hooks):
    mailbox = hooks
    message_id = queued()
    seen_at_goodbye = []
    engine = create_engine(app_config["SQLALCHEMY_DATABASE_URI"])  # the server's thread reads on its own

    def on_quit():
        with engine.connect() as connection:
            seen_at_goodbye.append(connection.scalar(
                select(OutboxMessage.sent_at).where(OutboxMessage.id == message_id)))

    mailbox.on_quit = on_quit
    try:
        assert jobs.send_outbox() == (1, 0)
    finally:
        engine.dispose()
    assert len(seen_at_goodbye) == 1 and seen_at_goodbye[0] is not None


def test_a_server_that_accepts_then_fails_the_goodbye_does_not_get_the_message_again(app, hooks):
    mailbox = hooks
    message_id = queued()

    def hang_up():
        raise ConnectionResetError("gone")  # aiosmtpd answers 500 to the QUIT

    mailbox.on_quit = hang_up
    assert jobs.send_outbox() == (1, 0)
    row = outbox_row(message_id)
    assert row.sent_at is not None and row.last_error is None
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=True):
        assert jobs.send_outbox() == (0, 0)
    assert len(mailbox.to("ada@example.com")) == 1


@pytest.mark.parametrize(("sender", "base_url", "domain"), [
    ("Homeostasis <no-reply@mail.example-practice.com>", "https://book.example-practice.com",
     "mail.example-practice.com"),
    ("no-reply@clinic.example", "https://book.example-practice.com", "clinic.example"),
    ("Homeostasis", "https://book.example-practice.com", "book.example-practice.com"),  # no address: the site's host
])
def test_the_message_id_names_the_senders_domain_and_the_outbox_row(app, mailbox, sender, base_url, domain):
    app.config.update(MAIL_DEFAULT_SENDER=sender, BASE_URL=base_url)
    message_id = queued()
    assert jobs.send_outbox() == (1, 0)
    # A long one is folded onto a second header line (RFC 5322 allows the space before it): compare the id.
    assert mailbox.wait_for("ada@example.com")[0]["Message-ID"].strip() == f"<outbox-{message_id}@{domain}>"
