"""Demo data for development (`flask seed-demo`). Idempotent: running it twice changes nothing."""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from app.accounts import service
from app.clock import utcnow
from app.extensions import db
from app.models.accounts import ROLE_PATIENT, ROLE_PRACTITIONER, find_user_by_email
from app.models.scheduling import ConsultationType, WeeklyAvailability
from app.scheduling import booking, schedule
from app.scheduling.profiles import profile_for

DEMO_PRACTITIONER = "practitioner@example.com"
DEMO_PATIENT = "patient@example.com"


def seed() -> bool:
    from app.courses.demo_loader import load_demo_course, refresh_demo_course
    from app.intake.demo import seed_demo_intake

    if find_user_by_email(DEMO_PRACTITIONER):
        if load_demo_course() is not None:  # a database seeded before the course existed gets it
            return True
        # Content fixes reach lessons nobody edited since they were loaded (issue 23: the safety texts).
        return refresh_demo_course().changed
    password = current_app.config["DEMO_PASSWORD"]
    user = service.create_user(email=DEMO_PRACTITIONER, full_name="Dr. Maya Lindqvist", password=password,
                               timezone="America/New_York", role=ROLE_PRACTITIONER)
    profile = profile_for(user)
    profile.credentials = "MD, IFMCP"
    profile.bio = ("Functional-medicine physician focused on mast cell activation syndrome and histamine "
                   "intolerance.")
    profile.policy_saved_at = utcnow()  # the demo practice is set up: no setup checklist
    _seed_hours(profile)
    initial, follow_up = _seed_types(profile)
    patient = service.create_user(email=DEMO_PATIENT, full_name="Jordan Rivers", password=password,
                                  timezone="Europe/London", role=ROLE_PATIENT)
    patient.health_data_consent_at = utcnow()
    db.session.flush()
    _seed_appointments(patient, initial, follow_up)
    seed_demo_intake(patient, follow_up)
    load_demo_course()
    return True


def _seed_hours(profile) -> None:
    for weekday in range(4):  # Monday to Thursday, with a lunch break
        db.session.add(WeeklyAvailability(practitioner_id=profile.id, weekday=weekday,
                                          start_time=time(9), end_time=time(12)))
        db.session.add(WeeklyAvailability(practitioner_id=profile.id, weekday=weekday,
                                          start_time=time(13), end_time=time(17)))
    db.session.add(WeeklyAvailability(practitioner_id=profile.id, weekday=4, start_time=time(9), end_time=time(13)))


def _seed_types(profile) -> tuple[ConsultationType, ConsultationType]:
    initial = ConsultationType(
        practitioner_id=profile.id, slug="initial-consultation", name="Initial functional medicine consultation",
        description=("A 60-minute video consultation to review your symptoms, triggers, history and tests, and "
                     "agree a first plan. You fill in the MCAS intake beforehand."),
        duration_minutes=60, price_minor=35000, currency="usd", buffer_after_minutes=15,
        mode="video", location="https://meet.example.com/homeostasis-initial", display_order=1)
    follow_up = ConsultationType(
        practitioner_id=profile.id, slug="follow-up", name="Follow-up consultation",
        description="A 30-minute video follow-up to review progress and adjust your plan.",
        duration_minutes=30, price_minor=15000, currency="usd", buffer_after_minutes=10,
        mode="video", location="https://meet.example.com/homeostasis-follow-up", display_order=2)
    db.session.add_all([initial, follow_up])
    db.session.flush()
    return initial, follow_up


def _seed_appointments(patient, initial, follow_up) -> None:
    now = utcnow()
    zone = ZoneInfo("America/New_York")
    for ct, days_ahead in ((initial, 3), (follow_up, 24)):
        first_day = (now + timedelta(days=days_ahead)).astimezone(zone).date()
        start, end = schedule.local_window(first_day, first_day + timedelta(days=7), "America/New_York")
        slots = schedule.open_slots(ct, start, end, now)
        if slots:
            booking.book(booking.BookingRequest(patient=patient, consultation_type=ct, start=slots[0],
                                                patient_timezone=patient.timezone, take_payment=False,
                                                note="Demo booking"), now)
