"""The waitlist: patients waiting for a time of one consultation type, and the times offered to them.
An offer is a hold (a pending Appointment with hold_expires_at) made for the patient, so the slot
engine, the PostgreSQL exclusion constraint and expire-holds treat it exactly like any other hold."""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Time, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.accounts import User
from app.models.scheduling import Appointment, ConsultationType
from app.models.types import UTCDateTime


class WaitlistStatus(StrEnum):
    """WaitlistEntry.status. Members equal their stored strings."""

    WAITING = "waiting"
    BOOKED = "booked"
    LEFT = "left"


class OfferStatus(StrEnum):
    """WaitlistOffer.status ("open" is also named in the partial unique index below)."""

    OPEN = "open"
    TAKEN = "taken"
    LAPSED = "lapsed"  # not taken before the hold ran out, or given up


WAITING = WaitlistStatus.WAITING
BOOKED = WaitlistStatus.BOOKED
LEFT = WaitlistStatus.LEFT
OFFER_OPEN = OfferStatus.OPEN
OFFER_TAKEN = OfferStatus.TAKEN
OFFER_LAPSED = OfferStatus.LAPSED


class WaitlistEntry(Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="days_in_order"),
        CheckConstraint("(earliest IS NULL AND latest IS NULL) OR earliest < latest", name="times_in_order"),
        Index("ix_waitlist_entries_type_status", "consultation_type_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    consultation_type_id: Mapped[int] = mapped_column(ForeignKey("consultation_types.id", ondelete="CASCADE"))
    # Dates and times of day are the patient's wall clock in `timezone`.
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    earliest: Mapped[time | None] = mapped_column(Time)
    latest: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The times (UTC, seconds since the epoch) that were open and suited her when she joined: she could
    # have booked them, so they are offered only if taken and freed again afterwards (issue 20: joining
    # must not hold a time that was plainly open). None on entries from before this was kept.
    open_at_join: Mapped[list | None] = mapped_column(JSON)

    patient: Mapped[User] = relationship()
    consultation_type: Mapped[ConsultationType] = relationship()


class WaitlistOffer(Model):
    __tablename__ = "waitlist_offers"
    __table_args__ = (
        # One open offer per entry at a time; the hold (an active appointment) keeps one time from
        # being offered to two patients, and the unique appointment id makes an offer its hold's only one.
        Index("uq_waitlist_offers_open_entry", "entry_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=OFFER_OPEN)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entry: Mapped[WaitlistEntry] = relationship()
    appointment: Mapped[Appointment] = relationship()
