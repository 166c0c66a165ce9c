"""The practitioner's schedule and the appointments booked into it. Instants are UTC; weekly hours
and overrides are local wall-clock times in the practitioner's IANA zone."""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.accounts import User
from app.models.types import UTCDateTime


class AppointmentStatus(StrEnum):
    """Appointment.status. Members equal their stored strings, so rows and JSON read as before."""

    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"  # a hold that ran out before payment


# The members under their short names, as the services import them.
PENDING_PAYMENT = AppointmentStatus.PENDING_PAYMENT
CONFIRMED = AppointmentStatus.CONFIRMED
CANCELLED = AppointmentStatus.CANCELLED
COMPLETED = AppointmentStatus.COMPLETED
NO_SHOW = AppointmentStatus.NO_SHOW
EXPIRED = AppointmentStatus.EXPIRED
STATUSES = tuple(AppointmentStatus)
# Statuses that occupy time (a pending hold only until hold_expires_at). The PostgreSQL exclusion
# constraint in the migrations uses exactly this list.
BLOCKING = (PENDING_PAYMENT, CONFIRMED)


class AppointmentPaymentStatus(StrEnum):
    """Appointment.payment_status: what the patient has paid for the visit (the payments hold the detail)."""

    UNPAID = "unpaid"
    PAY_AT_APPOINTMENT = "pay_at_appointment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


UNPAID = AppointmentPaymentStatus.UNPAID
PAY_AT_APPOINTMENT = AppointmentPaymentStatus.PAY_AT_APPOINTMENT
PAID = AppointmentPaymentStatus.PAID
PARTIALLY_REFUNDED = AppointmentPaymentStatus.PARTIALLY_REFUNDED
REFUNDED = AppointmentPaymentStatus.REFUNDED

FIXED_LINK = "fixed"
JITSI_LINK = "jitsi"
VIDEO_LINKS = {FIXED_LINK: "The same meeting link for every appointment",
               JITSI_LINK: "A new Jitsi room for each appointment"}
MODES = {"video": "Video call", "phone": "Phone call", "in_person": "In person"}
DEFAULT_NOTE_SECTIONS = ("Subjective", "Objective", "Assessment", "Plan")  # SOAP
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class PractitionerProfile(Model):
    __tablename__ = "practitioner_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    cancellation_notice_hours: Mapped[int] = mapped_column(default=48)
    reschedule_notice_hours: Mapped[int] = mapped_column(default=24)
    max_reschedules: Mapped[int] = mapped_column(default=2)
    # Share of the price refunded when the patient cancels inside the notice window (0 = none).
    late_cancel_refund_percent: Mapped[int] = mapped_column(default=0)
    # The calendar subscription (/practice/calendar/TOKEN.ics): only a SHA-256 of the token is kept,
    # so the address is shown once, when created; None = no feed.
    calendar_feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    daily_agenda_email: Mapped[bool] = mapped_column(default=False)  # the 07:00 agenda, opt-in
    # How patients reach the practice when a change can no longer be made online.
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Her public profile photo: a stored file (app/storage.py) and its checked content type; None = none.
    photo_key: Mapped[str | None] = mapped_column(String(64))
    photo_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The privacy notice page (/privacy-notice), Markdown she edits; empty = the page says so.
    privacy_notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The sections of her consultation notes, in order (app/notes): her template, edited at /practice/note-template.
    note_sections: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_NOTE_SECTIONS))
    # How long a deleted patient's clinical record is kept after her last visit (app/privacy/retention.py):
    # 8 years, England's NHS Records Management Code of Practice 2021 for adults; set at /practice/retained.
    retention_years: Mapped[int] = mapped_column(default=8, server_default="8")
    # Rises with every change that can change open times (app/scheduling/cache.py keys on it).
    schedule_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # When she first saved her profile and booking policy (/practice/policy): until then the setup
    # checklist on /practice asks her to check the defaults.
    policy_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    consultation_types: Mapped[list[ConsultationType]] = relationship(
        back_populates="practitioner", order_by="ConsultationType.display_order")
    weekly_hours: Mapped[list[WeeklyAvailability]] = relationship(
        cascade="all, delete-orphan", order_by="(WeeklyAvailability.weekday, WeeklyAvailability.start_time)")


class ConsultationType(Model):
    __tablename__ = "consultation_types"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers_not_negative"),
        CheckConstraint("granularity_minutes > 0", name="positive_granularity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_minutes: Mapped[int] = mapped_column(default=24 * 60)
    horizon_days: Mapped[int] = mapped_column(default=60)
    max_per_day: Mapped[int | None] = mapped_column()
    granularity_minutes: Mapped[int] = mapped_column(default=15)
    mode: Mapped[str] = mapped_column(String(20), default="video")
    location: Mapped[str] = mapped_column(String(500), default="")  # meeting link or address
    # Video calls: "fixed" = `location` is the meeting link; "jitsi" = each appointment gets its own
    # room (Appointment.video_url), generated when it is booked.
    video_link: Mapped[str] = mapped_column(String(10), default=FIXED_LINK, server_default=FIXED_LINK)
    # Patients may change a confirmed appointment online up to this many hours before it starts;
    # None = the practice's reschedule notice (rescheduling) / until the start (cancelling).
    patient_cancel_cutoff_hours: Mapped[int | None] = mapped_column()
    patient_reschedule_cutoff_hours: Mapped[int | None] = mapped_column()
    intake_required: Mapped[bool] = mapped_column(default=True)
    reminder_lead_minutes: Mapped[int] = mapped_column(default=24 * 60)
    active: Mapped[bool] = mapped_column(default=True)
    display_order: Mapped[int] = mapped_column(default=0)

    practitioner: Mapped[PractitionerProfile] = relationship(back_populates="consultation_types")

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)


class WeeklyAvailability(Model):
    __tablename__ = "weekly_availability"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        Index("ix_weekly_availability_practitioner", "practitioner_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"))
    weekday: Mapped[int]  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class DateOverride(Model):
    """One row per open range on a local date; a row without times closes the date."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        CheckConstraint("(start_time IS NULL AND end_time IS NULL) OR start_time < end_time", name="range_valid"),
        Index("ix_date_overrides_practitioner_day", "practitioner_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")


class TimeOff(Model):
    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        Index("ix_time_off_practitioner_span", "practitioner_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")


class Appointment(Model):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        CheckConstraint("blocked_start <= starts_at AND blocked_end >= ends_at", name="blocked_covers_visit"),
        # The busy-span read is one range scan on this index whatever the number of appointments.
        Index("ix_appointments_practitioner_blocked", "practitioner_id", "blocked_start"),
        Index("ix_appointments_patient_start", "patient_id", "starts_at"),
        Index("ix_appointments_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Once she deletes her account: the retained record it is kept under (app/models/retention.py), a plain
    # number (as the audit log keeps patients'): so many tables point at this one that SQLite could not
    # rebuild it to add a foreign key without losing rows; the purge deletes these rows by it explicitly.
    retained_patient_id: Mapped[int | None] = mapped_column(index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner_profiles.id", ondelete="CASCADE"))
    consultation_type_id: Mapped[int] = mapped_column(ForeignKey("consultation_types.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_start: Mapped[datetime] = mapped_column(UTCDateTime())  # starts_at - buffer before
    blocked_end: Mapped[datetime] = mapped_column(UTCDateTime())  # ends_at + buffer after
    status: Mapped[str] = mapped_column(String(20))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_status: Mapped[str] = mapped_column(String(24), default=UNPAID)
    price_minor: Mapped[int]  # the price when booked, from the database
    currency: Mapped[str] = mapped_column(String(3))
    patient_timezone: Mapped[str] = mapped_column(String(64))
    patient_note: Mapped[str] = mapped_column(Text, default="")
    practitioner_notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # Rescheduling moves this appointment (its payment, intake and calendar invite stay with it);
    # the previous start is kept, and `reschedule_count` is the invite's SEQUENCE.
    rescheduled_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reschedule_count: Mapped[int] = mapped_column(default=0)
    # Set when the patient moved the visit after online cancelling had closed: that deadline (already
    # passed) stays the visit's cancel deadline, whatever its new start (app/scheduling/window.py).
    cancel_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Likewise for the full-refund notice: set when she moved it after that notice had passed.
    refund_notice_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    video_url: Mapped[str | None] = mapped_column(String(500))  # its own room, when the type generates one

    patient: Mapped[User | None] = relationship(foreign_keys=[patient_id])
    practitioner: Mapped[PractitionerProfile] = relationship()
    consultation_type: Mapped[ConsultationType] = relationship()

    def is_blocking(self, now: datetime) -> bool:
        if self.status == CONFIRMED:
            return True
        return self.status == PENDING_PAYMENT and self.hold_expires_at is not None and self.hold_expires_at > now

    @property
    def meeting_url(self) -> str:
        """Where a video consultation takes place: its own room, or the type's fixed link."""
        if self.consultation_type.mode != "video":
            return ""
        return self.video_url or self.consultation_type.location

    @property
    def is_upcoming_status(self) -> bool:
        return self.status in BLOCKING
