"""People and their sign-in sessions."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, db
from app.models.types import UTCDateTime

ROLE_PATIENT = "patient"
ROLE_PRACTITIONER = "practitioner"


# The password_hash of an account made by booking with an emailed code: no password matches it.
NO_PASSWORD = ""


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (trimmed, lower-cased) so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_PATIENT)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    health_data_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_opt_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When she proved the address is hers (a code emailed at sign-up: app/accounts/verification.py).
    # Until then a patient cannot book or open health-data pages. Accounts older than this column count as
    # verified (the migration copies created_at); accounts the practice creates are verified.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_practitioner(self) -> bool:
        return self.role == ROLE_PRACTITIONER

    @property
    def is_patient(self) -> bool:
        return self.role == ROLE_PATIENT

    @property
    def has_password(self) -> bool:
        """False for a patient who booked with an emailed code and has not chosen a password yet."""
        return self.password_hash != NO_PASSWORD

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def initials(self) -> str:
        return "".join(part[0].upper() for part in self.full_name.split()[:3] if part)

    def __repr__(self) -> str:  # no email or name in logs
        return f"<User {self.id} {self.role}>"


class UserSession(Model):
    """A signed-in session. The cookie holds only its random token; logout revokes the row, so a copied
    cookie stops working, and idle/absolute expiry are enforced here rather than trusted to the browser."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship(back_populates="sessions")


class VerificationCode(Model):
    """A one-time code emailed to an address, stored only as a keyed hash, with an expiry and a count of
    tries. `purpose` keeps codes for different actions apart (sign-up now; booking by email later)."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_purpose_email", "purpose", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254))  # normalised
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()
