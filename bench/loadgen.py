"""Load-test data for the benchmarks (bench/slots.py, bench/calendar.py) and `flask seed-load --appointments N`
(development only: it lives here, not in app/, and production refuses the command).

One practitioner open every day 08:00-20:00 in America/New_York, a 30-minute consultation type
`load-30` (no buffers, no minimum notice, 400-day horizon), a few hundred patients and N confirmed
appointments, bulk-inserted in batches.

Placement. A local day has 24 half-hour cells; only cells 0, 1, 3, 4, 6, 7, ... (two of every three)
are ever booked, so every day keeps free slots and no two appointments overlap (each owns its own
cell). The year back and the year ahead hold 730 x 16 = 11,680 such cells: up to that many
appointments are a seeded random sample of them; beyond that the calendar is full at that density
and the remaining appointments go further into the past, day by day. (One practitioner cannot hold
100,000 half-hour appointments in two years: the extra history is what a long-running practice has.)
"""
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, insert, or_, select

from app.accounts import service
from app.accounts.passwords import hash_password
from app.clock import utcnow
from app.database import rowcount
from app.extensions import db
from app.models.accounts import ROLE_PATIENT, ROLE_PRACTITIONER, User, UserSession, find_user_by_email
from app.models.scheduling import (
    CONFIRMED,
    PAY_AT_APPOINTMENT,
    Appointment,
    ConsultationType,
    DateOverride,
    PractitionerProfile,
    TimeOff,
    WeeklyAvailability,
)
from app.scheduling.profiles import profile_for

LOAD_PRACTITIONER = "load-practitioner@example.com"
PATIENT_EMAIL = "load-patient-{:05d}@example.com"
PATIENT_PATTERN = "load-patient-%@example.com"
SLUG = "load-30"
ZONE = "America/New_York"
OPENS, CLOSES = time(8), time(20)
DURATION = timedelta(minutes=30)
CELLS_PER_DAY = 24  # half hours from 08:00 to 20:00
BOOKABLE_CELLS = tuple(c for c in range(CELLS_PER_DAY) if c % 3 != 2)
DAYS_BACK, DAYS_AHEAD = 365, 365
BATCH = 10_000
SEED = 20_250_101


class LoadRefused(Exception):
    pass


@dataclass(frozen=True)
class LoadSummary:
    appointments: int
    patients: int
    first: datetime | None
    last: datetime | None


def seed(appointments: int, *, patients: int = 200, now: datetime | None = None) -> LoadSummary | None:
    """Create the load-test data in the current transaction; None when it is already there."""
    if not current_app.config.get("SEED_DEMO_ALLOWED"):
        raise LoadRefused("seed-load refuses to run in production.")
    if appointments < 0 or patients < 1:
        raise ValueError("appointments must be >= 0 and patients >= 1")
    if exists():
        return None
    now = now or utcnow()
    ct = _practice()
    patient_ids = _patients(patients, now)
    starts = list(_starts(appointments, today=now.astimezone(ZoneInfo(ZONE)).date()))
    for offset in range(0, len(starts), BATCH):
        rows = [_row(start, ct, patient_ids[(offset + i) % len(patient_ids)], now)
                for i, start in enumerate(starts[offset:offset + BATCH])]
        db.session.execute(insert(Appointment), rows)
    return LoadSummary(len(starts), len(patient_ids), min(starts, default=None), max(starts, default=None))


def exists() -> bool:
    return (find_user_by_email(LOAD_PRACTITIONER) is not None
            or db.session.scalar(select(ConsultationType.id).where(ConsultationType.slug == SLUG)) is not None)


def reset() -> int:
    """Delete the load practitioner, its schedule and appointments, and the load patients.

    Returns the number of appointments deleted."""
    profile_ids = select(PractitionerProfile.id).join(User, User.id == PractitionerProfile.user_id).where(
        User.email == LOAD_PRACTITIONER)
    user_ids = select(User.id).where(or_(User.email == LOAD_PRACTITIONER, User.email.like(PATIENT_PATTERN)))
    type_ids = select(ConsultationType.id).where(
        or_(ConsultationType.slug == SLUG, ConsultationType.practitioner_id.in_(profile_ids)))
    removed = rowcount(db.session.execute(delete(Appointment).where(
        or_(Appointment.practitioner_id.in_(profile_ids), Appointment.consultation_type_id.in_(type_ids)))))
    db.session.execute(delete(ConsultationType).where(ConsultationType.id.in_(type_ids)))
    for model in (WeeklyAvailability, DateOverride, TimeOff):
        db.session.execute(delete(model).where(model.practitioner_id.in_(profile_ids)))
    db.session.execute(delete(PractitionerProfile).where(PractitionerProfile.id.in_(profile_ids)))
    db.session.execute(delete(UserSession).where(UserSession.user_id.in_(user_ids)))
    db.session.execute(delete(User).where(User.id.in_(user_ids)))
    return removed


def appointment_count() -> int:
    return db.session.scalar(select(func.count(Appointment.id)).join(ConsultationType).where(
        ConsultationType.slug == SLUG)) or 0


def _practice() -> ConsultationType:
    user = service.create_user(email=LOAD_PRACTITIONER, full_name="Load Test Practitioner",
                               password=current_app.config["DEMO_PASSWORD"], timezone=ZONE,
                               role=ROLE_PRACTITIONER)
    profile = profile_for(user)
    profile.timezone = ZONE
    db.session.add_all(WeeklyAvailability(practitioner_id=profile.id, weekday=weekday, start_time=OPENS,
                                          end_time=CLOSES) for weekday in range(7))
    ct = ConsultationType(
        practitioner_id=profile.id, slug=SLUG, name="Load test consultation (30 minutes)",
        description="Generated by `flask seed-load` for load tests.", duration_minutes=30, price_minor=10000,
        currency="usd", buffer_before_minutes=0, buffer_after_minutes=0, min_notice_minutes=0, horizon_days=400,
        intake_required=False, display_order=99)
    db.session.add(ct)
    db.session.flush()
    return ct


def _patients(count: int, now: datetime) -> list[int]:
    password_hash = hash_password(current_app.config["DEMO_PASSWORD"])  # one hash: argon2 is slow on purpose
    rows = [{"email": PATIENT_EMAIL.format(n), "full_name": f"Load Patient {n}", "password_hash": password_hash,
             "role": ROLE_PATIENT, "timezone": ZONE, "health_data_consent_at": now, "email_opt_out": True,
             "created_at": now, "email_verified_at": now} for n in range(1, count + 1)]
    db.session.execute(insert(User), rows)
    return list(db.session.scalars(select(User.id).where(User.email.like(PATIENT_PATTERN)).order_by(User.id)))


def _starts(count: int, *, today: date) -> Iterator[datetime]:
    """`count` distinct appointment starts (UTC), sorted; see the module docstring."""
    per_day = len(BOOKABLE_CELLS)
    capacity = (DAYS_BACK + DAYS_AHEAD) * per_day
    first_day = today - timedelta(days=DAYS_BACK)
    cells: Sequence[int]
    if count <= capacity:
        cells = sorted(random.Random(SEED).sample(range(capacity), count))
    else:
        extra = count - capacity
        history_days = -(-extra // per_day)
        first_day -= timedelta(days=history_days)
        # Skip the surplus cells at the very start of the extended history, so exactly `count` remain.
        skip = history_days * per_day - extra
        cells = range(skip, capacity + history_days * per_day)
    zone = ZoneInfo(ZONE)
    opens = datetime.combine(first_day, OPENS)
    for cell in cells:
        day, index = divmod(cell, per_day)
        wall = opens + timedelta(days=day) + BOOKABLE_CELLS[index] * DURATION
        yield wall.replace(tzinfo=zone).astimezone(timezone.utc)


def _row(start: datetime, ct: ConsultationType, patient_id: int, now: datetime) -> dict:
    end = start + DURATION
    return {
        "patient_id": patient_id, "practitioner_id": ct.practitioner_id, "consultation_type_id": ct.id,
        "starts_at": start, "ends_at": end, "blocked_start": start, "blocked_end": end, "status": CONFIRMED,
        "hold_expires_at": None, "payment_status": PAY_AT_APPOINTMENT, "price_minor": ct.price_minor,
        "currency": ct.currency, "patient_timezone": ZONE, "patient_note": "", "practitioner_notes": "",
        "created_at": now, "booked_by_id": patient_id, "cancelled_at": None, "cancelled_by_id": None,
        "cancel_reason": "", "rescheduled_from": None, "reschedule_count": 0,
    }
