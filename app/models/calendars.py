"""The practitioner's own calendars (CalDAV or a private .ics address) and the busy times read from
them. Busy rows are UTC instants, replaced per calendar in one transaction by each sync."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.types import UTCDateTime

CALDAV = "caldav"
ICS = "ics"
KINDS = {CALDAV: "CalDAV (address, user name and password)", ICS: "Private iCalendar (.ics) address"}


class ExternalCalendar(Model):
    __tablename__ = "external_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"),
                                                 index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    # The address (a private .ics address is itself a password), user name and password, as one Fernet
    # token (app/calendars/secrets.py); only the scheme and host are kept in clear, to show her which it is.
    secret: Mapped[str] = mapped_column(Text)
    address_hint: Mapped[str] = mapped_column(String(300))
    store_titles: Mapped[bool] = mapped_column(default=False)  # off: rows say only "busy"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    busy_count: Mapped[int] = mapped_column(default=0)

    busy: Mapped[list[CalendarBusy]] = relationship(back_populates="calendar", cascade="all, delete-orphan",
                                                    passive_deletes=True)


class CalendarBusy(Model):
    __tablename__ = "calendar_busy"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        # The slot engine's read is one range scan on this index, next to the appointments' own.
        Index("ix_calendar_busy_practitioner_start", "practitioner_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("external_calendars.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str | None] = mapped_column(String(200))  # only when the calendar's store_titles is on

    calendar: Mapped[ExternalCalendar] = relationship(back_populates="busy")
