"""Money: payments (integer minor units + ISO currency, from the database), refunds, Stripe events."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, db
from app.models.accounts import User
from app.models.scheduling import Appointment
from app.models.types import UTCDateTime


class PaymentStatus(StrEnum):
    """Payment.status. Members equal their stored strings, so rows and JSON read as before."""

    OPEN = "open"  # written before Checkout; not paid yet
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    EXPIRED = "expired"  # its Checkout Session lapsed, or the hold was cancelled before paying
    FAILED = "failed"  # an asynchronous payment method failed


class RefundStatus(StrEnum):
    """Refund.status."""

    PENDING = "pending"  # decided and committed, not yet confirmed by Stripe (retried until it is)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # Stripe refused it (a 4xx): not sent again


# The members under their short names, as the services import them.
OPEN = PaymentStatus.OPEN
PAID = PaymentStatus.PAID
PARTIALLY_REFUNDED = PaymentStatus.PARTIALLY_REFUNDED
REFUNDED = PaymentStatus.REFUNDED
EXPIRED = PaymentStatus.EXPIRED
FAILED = PaymentStatus.FAILED
PURPOSE_APPOINTMENT = "appointment"
PURPOSE_COURSE = "course"


class Payment(Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"),
        Index("ix_payments_purpose", "purpose", "purpose_id"),
        Index("ix_payments_patient", "patient_id", "created_at"),
        Index("ix_payments_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Once she deletes her account: the retained record it is kept under (app/models/retention.py), a plain
    # number (as the audit log keeps patients'): so many tables point at this one that SQLite could not
    # rebuild it to add a foreign key without losing rows; the purge deletes these rows by it explicitly.
    retained_patient_id: Mapped[int | None] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # what is bought: "appointment" or "course"
    purpose_id: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(10))  # "stripe" or "manual"
    method: Mapped[str] = mapped_column(String(20), default="card")  # manual: "cash", "card_terminal", ...
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    refunded_minor: Mapped[int] = mapped_column(default=0)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    patient: Mapped[User | None] = relationship(foreign_keys=[patient_id])
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def refundable_minor(self) -> int:
        pending = sum(r.amount_minor for r in self.refunds if r.status == RefundStatus.PENDING)
        return self.amount_minor - self.refunded_minor - pending


class Refund(Model):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A worker sending it to Stripe holds it until then (a conditional UPDATE), so two hosts never
    # send one idempotency key at the same time.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class StripeEvent(Model):
    """Each Stripe event id is processed once: the row commits with the change the event caused."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def appointment_payments(appointment: Appointment) -> list[Payment]:
    """Every payment for the appointment, oldest first (open, lapsed, paid and refunded alike): what the
    appointment pages list and the cancellation email reads. Here, below billing and notify, so both use it."""
    return list(db.session.scalars(select(Payment).where(
        Payment.purpose == PURPOSE_APPOINTMENT, Payment.purpose_id == appointment.id).order_by(Payment.id)).all())
