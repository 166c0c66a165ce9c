"""The setup checklist a new practitioner sees on /practice: what is done and where each step is, until
her practice is set up (patients can book once she has weekly hours and an active consultation type)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from app.extensions import db
from app.models.calendars import ExternalCalendar
from app.models.scheduling import ConsultationType, PractitionerProfile, WeeklyAvailability


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    status: str  # what is set, or what is missing, in one sentence
    endpoint: str  # where she does it
    required: bool = True


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]
    # Patients can book: she has weekly hours and an active consultation type.
    takes_bookings: bool
    first_type: ConsultationType | None  # the first active type, whose price the checklist shows

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps if step.required)

    @property
    def remaining(self) -> int:
        return sum(1 for step in self.steps if step.required and not step.done)


def checklist(profile: PractitionerProfile, *, payments_on: bool) -> Checklist:
    """`payments_on`: whether the server takes card payments (Stripe configured, app.billing.client)."""
    has_hours = bool(db.session.scalar(select(exists().where(WeeklyAvailability.practitioner_id == profile.id))))
    first_type = db.session.scalar(
        select(ConsultationType).where(ConsultationType.practitioner_id == profile.id, ConsultationType.active)
        .order_by(ConsultationType.display_order, ConsultationType.id).limit(1))
    calendar_count = len(db.session.scalars(
        select(ExternalCalendar.id).where(ExternalCalendar.practitioner_id == profile.id)).all())
    paying = payments_on
    steps = [
        Step("profile", "Your public profile", bool(profile.bio.strip()),
             f"Patients see you as {profile.display_name}{', ' + profile.credentials if profile.credentials else ''}."
             if profile.bio.strip() else "Add your credentials and a short biography for the booking pages.",
             "practice_settings.policy"),
        Step("hours", "Weekly hours", has_hours,
             "Set: patients are offered times inside them." if has_hours
             else "Not set yet: without them no time can be booked.", "practice_settings.hours"),
        Step("type", "A consultation type with its price", first_type is not None,
             f"{first_type.name}, {first_type.duration_minutes} minutes" if first_type
             else "None yet: add what patients book, its length and its price.",
             "practice_settings.types" if first_type else "practice_settings.new_type"),
        Step("policy", "Booking policy", profile.policy_saved_at is not None,
             f"Saved: {profile.cancellation_notice_hours} h notice for a full refund on cancelling."
             if profile.policy_saved_at else
             f"Check the defaults ({profile.cancellation_notice_hours} h notice for a full refund, "
             f"{profile.reschedule_notice_hours} h to reschedule) and save.", "practice_settings.policy"),
        Step("payments", "Card payments", paying,
             "On: patients pay by card when they book." if paying else
             "Off: bookings are paid at the appointment. Card payments start once the server has a Stripe key "
             "(STRIPE_SECRET_KEY).", "billing.payments", required=False),
        Step("calendars", "Your calendars", calendar_count > 0,
             f"{calendar_count} connected: their busy times are kept free." if calendar_count else
             "Optional: connect your own calendar so its busy times are not offered.", "calendars.index",
             required=False),
    ]
    return Checklist(steps=steps, takes_bookings=has_hours and first_type is not None,
                     first_type=first_type)
