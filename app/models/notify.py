"""The outbox: emails written in the same transaction as the change that causes them."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model
from app.models.types import UTCDateTime


def _new_id() -> str:
    return uuid.uuid4().hex


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "content_type", "content" (text)}], e.g. calendar invites.
    attachments: Mapped[list | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(60))  # e.g. "password_reset", "booking_confirmed"
    # A key that makes "send this once" checkable, e.g. "reminder:appointment:12:24h".
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A permanent refusal (SMTP 5xx): never retried by itself; the practitioner sees it on /practice/mail.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SentReminder(Model):
    """One reminder of one kind for one appointment at one start time: the claim that makes
    `flask send-reminders` idempotent on any number of hosts. Keyed on the start, so a rescheduled
    appointment is reminded of its new time and never of the old one. A row is also written, without
    an email, when the confirmation already said the visit is soon ("covered")."""

    __tablename__ = "sent_reminders"
    __table_args__ = (UniqueConstraint("appointment_id", "kind", "starts_at", name="uq_sent_reminders_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "appointment", "intake_72h", "intake_24h"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the start the reminder was for
    outcome: Mapped[str] = mapped_column(String(20), default="sent")  # "sent" or "covered"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkerRun(Model):
    """When each periodic task of the worker last ran (GET /healthz reports the latest)."""

    __tablename__ = "worker_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_result: Mapped[str] = mapped_column(String(200), default="", server_default="")
    runs: Mapped[int] = mapped_column(Integer(), default=0, server_default="0")  # how often it has run


class WorkerLock(Model):
    """Coordination of the workers on every host (app/leases.py): `tick` is the last schedule minute
    whose periodic run of `name` some host claimed (so each runs once per tick, however many workers);
    `held_until` is a lease (one calendar sync at a time), renewed while it runs."""

    __tablename__ = "worker_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    tick: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
