"""Hold, confirm, reschedule and cancel. Each runs inside the caller's transaction, serialised per
practitioner, and raises a BookingError the route maps to a status code. The caller commits."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.database import rowcount, serialised_write
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.scheduling import (
    BLOCKING,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    EXPIRED,
    NO_SHOW,
    PAY_AT_APPOINTMENT,
    PENDING_PAYMENT,
    UNPAID,
    Appointment,
    ConsultationType,
    PractitionerProfile,
)
from app.refusals import Refusal
from app.scheduling import availability as engine
from app.scheduling import schedule, video
from app.scheduling.window import (
    Cutoffs,
    closed_message,
    kept_after_move,
    may_cancel,
    may_reschedule,
    refund_notice_kept_after_move,
)

# A held time waits this long for payment. Stripe Checkout Sessions must live at least 30 minutes;
# ours live 31 (app/billing/checkout.py) and the hold 4 more, so a last-second payment finds it.
HOLD = timedelta(minutes=35)


class BookingError(Refusal):
    def __init__(self, message: str, *, nearest: list[datetime] | None = None):
        super().__init__(message)
        self.nearest = nearest or []


class SlotTaken(BookingError):
    status = 409


class NotAllowed(BookingError):
    status = 409


class HoldLimit(BookingError):
    """She already holds as many unpaid times as the settings allow (holding every open time for free
    was the attack: issue 20)."""
    status = 409


@dataclass(frozen=True)
class HoldLimits:
    """How many unpaid holds one patient may have at once: per consultation type and in all."""
    per_type: int
    total: int


@dataclass
class BookingRequest:
    patient: User
    consultation_type: ConsultationType
    start: datetime
    patient_timezone: str
    take_payment: bool
    note: str = ""
    booked_by: User | None = None
    extra: dict = field(default_factory=dict)
    # Hold the time this long even without online payment (a time offered from the waitlist).
    hold_for: timedelta | None = None
    # Checked for a hold the patient asks for herself (not a waitlist offer, not the practice booking).
    hold_limits: HoldLimits | None = None


def _lock_practitioner(practitioner_id: int):
    return serialised_write(
        select(PractitionerProfile.id).where(PractitionerProfile.id == practitioner_id).with_for_update())


def release_expired_holds(practitioner_id: int, now: datetime, span: engine.Span | None = None) -> int:
    """Move ran-out holds to 'expired' so they stop blocking (also for the PostgreSQL constraint)."""
    statement = update(Appointment).where(
        Appointment.practitioner_id == practitioner_id, Appointment.status == PENDING_PAYMENT,
        Appointment.hold_expires_at <= now)
    if span is not None:
        statement = statement.where(Appointment.blocked_start < span.end, Appointment.blocked_end > span.start)
    return rowcount(db.session.execute(statement.values(status=EXPIRED)))


def _check_open(ct: ConsultationType, start: datetime, now: datetime, ignore: int | None = None,
                *, any_notice: bool = False) -> None:
    """422 when the time is never offered (rules, notice, horizon); 409 when someone else holds it.
    `any_notice`: the practitioner moving an appointment herself is not bound by the minimum notice."""
    inputs = schedule.load_inputs(ct, start - timedelta(days=1), start + timedelta(days=1), now,
                                  ignore_appointment_id=ignore)
    kwargs = inputs.kwargs()
    if any_notice:
        kwargs["policy"] = replace(inputs.policy, min_notice=timedelta(0))
    if engine.is_open(start, **kwargs, now=now):
        return
    free = {**kwargs, "busy": (), "capped_starts": ()}
    if engine.is_open(start, **free, now=now):
        raise SlotTaken("That time was just taken.", nearest=schedule.nearest_open(ct, start, now))
    raise BookingError(_why_not_offered(ct, start, now))


def _why_not_offered(ct: ConsultationType, start: datetime, now: datetime) -> str:
    if start <= now:
        return "That time is in the past. Choose one of the open times."
    if start < now + timedelta(minutes=ct.min_notice_minutes):
        hours = ct.min_notice_minutes // 60
        return f"Consultations need at least {hours} hours' notice. Choose a later time."
    if start > now + timedelta(days=ct.horizon_days):
        return f"Bookings open {ct.horizon_days} days ahead. Choose an earlier time."
    return "That time is not one of the open times. Choose one from the list."


def book(request: BookingRequest, now: datetime) -> Appointment:
    ct = request.consultation_type
    if not ct.active:
        raise BookingError("This consultation type is not available for booking.")
    if request.start.tzinfo is None:
        raise BookingError("Give the start time with its UTC offset, e.g. 2026-12-01T14:00:00Z.")
    start = request.start.astimezone(engine.UTC)
    policy = schedule.policy_for(ct)
    span = engine.blocked_span(start, policy)
    with _lock_practitioner(ct.practitioner_id):
        release_expired_holds(ct.practitioner_id, now, span)
        if request.take_payment and request.hold_limits is not None:
            _check_hold_limits(request.patient, ct, now, request.hold_limits)
        _check_open(ct, start, now)
        appointment = Appointment(
            patient_id=request.patient.id, practitioner_id=ct.practitioner_id, consultation_type_id=ct.id,
            starts_at=start, ends_at=start + policy.duration, blocked_start=span.start, blocked_end=span.end,
            status=PENDING_PAYMENT if request.take_payment or request.hold_for else CONFIRMED,
            hold_expires_at=now + (request.hold_for or HOLD) if request.take_payment or request.hold_for else None,
            payment_status=UNPAID if request.take_payment else PAY_AT_APPOINTMENT,
            price_minor=ct.price_minor, currency=ct.currency, patient_timezone=request.patient_timezone,
            patient_note=request.note.strip(), booked_by_id=(request.booked_by or request.patient).id,
            created_at=now, video_url=video.new_room_url(ct),
        )
        _insert(appointment, ct, start, now)
    record("book", "appointment", appointment.id, actor=request.booked_by or request.patient,
           patient_id=request.patient.id, detail={"status": appointment.status})
    return appointment


def active_holds(patient: User, now: datetime) -> dict[int, int]:
    """Her unpaid holds still running, counted per consultation type id."""
    rows = db.session.execute(
        select(Appointment.consultation_type_id, func.count()).where(
            Appointment.patient_id == patient.id, Appointment.status == PENDING_PAYMENT,
            Appointment.hold_expires_at > now).group_by(Appointment.consultation_type_id))
    return {type_id: count for type_id, count in rows}


def _check_hold_limits(patient: User, ct: ConsultationType, now: datetime, limits: HoldLimits) -> None:
    """Inside the practitioner's lock, so two requests at once cannot both pass the count."""
    held = active_holds(patient, now)
    if held.get(ct.id, 0) >= limits.per_type:
        raise HoldLimit(f"You already have a time held for {ct.name.lower()} waiting for payment. Pay for it "
                        "or release it (from your account's appointments) before holding another.")
    if sum(held.values()) >= limits.total:
        raise HoldLimit(f"You already have {sum(held.values())} times held waiting for payment, the most at once. "
                        "Pay for one or release it (from your account's appointments) before holding another.")


def _insert(appointment: Appointment, ct: ConsultationType, start: datetime, now: datetime) -> None:
    """Flush inside a savepoint: on PostgreSQL the exclusion constraint is the last word."""
    try:
        with db.session.begin_nested():
            db.session.add(appointment)
    except IntegrityError:
        raise SlotTaken("That time was just taken.", nearest=schedule.nearest_open(ct, start, now)) from None


def check_reschedule(appointment: Appointment, new_start: datetime, *, by: User, now: datetime) -> None:
    """Raise the BookingError reschedule() would, without changing anything (the confirmation page).
    Reads only: a hold that ran out but is not released yet may make a free time look taken."""
    _check_may_reschedule(appointment, by=by, now=now)
    _check_open(appointment.consultation_type, new_start.astimezone(engine.UTC), now, ignore=appointment.id,
                any_notice=by.is_practitioner)


def _check_may_reschedule(appointment: Appointment, *, by: User, now: datetime) -> None:
    profile = appointment.practitioner
    if appointment.status not in BLOCKING or not appointment.is_blocking(now):
        raise NotAllowed("Only an upcoming appointment can be rescheduled.")
    if not by.is_practitioner:
        if appointment.reschedule_count >= profile.max_reschedules:
            raise NotAllowed(f"An appointment can be rescheduled at most {profile.max_reschedules} times. "
                             "Please contact the practice.")
        cutoffs = Cutoffs.of(appointment.consultation_type, profile)
        if not may_reschedule(cutoffs, appointment.starts_at, now):
            raise NotAllowed(closed_message("rescheduled", cutoffs.reschedule_hours))


def reschedule(appointment: Appointment, new_start: datetime, *, by: User, now: datetime) -> Appointment:
    """Move the appointment. A move by the patient after online cancelling closed keeps that deadline
    (window.kept_after_move); a move by the practice leaves the kept deadline as it was."""
    ct = appointment.consultation_type
    profile = appointment.practitioner
    _check_may_reschedule(appointment, by=by, now=now)
    start = new_start.astimezone(engine.UTC)
    policy = schedule.policy_for(ct)
    span = engine.blocked_span(start, policy)
    with _lock_practitioner(ct.practitioner_id):
        db.session.refresh(appointment)
        release_expired_holds(ct.practitioner_id, now, span)
        _check_open(ct, start, now, ignore=appointment.id, any_notice=by.is_practitioner)
        previous = appointment.starts_at
        try:
            with db.session.begin_nested():
                appointment.rescheduled_from = previous
                appointment.starts_at, appointment.ends_at = start, start + policy.duration
                appointment.blocked_start, appointment.blocked_end = span.start, span.end
                appointment.reschedule_count += 1
                if not by.is_practitioner and appointment.status == CONFIRMED:
                    appointment.cancel_closed_at = kept_after_move(Cutoffs.of(ct, profile), previous, now,
                                                                   appointment.cancel_closed_at)
                    appointment.refund_notice_closed_at = refund_notice_kept_after_move(
                        previous, profile.cancellation_notice_hours, now, appointment.refund_notice_closed_at)
        except IntegrityError:
            db.session.refresh(appointment)
            raise SlotTaken("That time was just taken.", nearest=schedule.nearest_open(ct, start, now)) from None
    record("reschedule", "appointment", appointment.id, actor=by, patient_id=appointment.patient_id,
           detail={"from": previous.isoformat(), "to": start.isoformat()})
    return appointment


def check_cancel(appointment: Appointment, *, by: User, now: datetime, reason: str = "") -> None:
    """Raise the BookingError cancel() would, without changing anything (the confirmation page)."""
    if appointment.status not in BLOCKING:
        raise NotAllowed("This appointment is not active, so it cannot be cancelled.")
    if by.is_practitioner and not reason.strip():
        raise BookingError("Give the patient a reason for the cancellation.")
    if not by.is_practitioner and appointment.status == CONFIRMED:
        # A hold not yet paid for (or a waitlist offer) can always be let go; a booked visit only
        # until the type's cut-off (or the one it kept when moved inside it).
        cutoffs = Cutoffs.of(appointment.consultation_type, appointment.practitioner)
        if not may_cancel(cutoffs, appointment.starts_at, now, appointment.cancel_closed_at):
            if appointment.cancel_closed_at is not None and may_cancel(cutoffs, appointment.starts_at, now):
                raise NotAllowed(MOVED_INSIDE_CUTOFF)
            raise NotAllowed(closed_message("cancelled", cutoffs.cancel_hours))


MOVED_INSIDE_CUTOFF = ("This appointment was moved after online cancelling had closed, so it can no longer be "
                       "cancelled online. Please contact the practice.")


def cancel(appointment: Appointment, *, by: User, now: datetime, reason: str = "") -> Appointment:
    check_cancel(appointment, by=by, now=now, reason=reason)
    appointment.status = CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by_id = by.id
    appointment.cancel_reason = reason.strip()[:500]
    appointment.hold_expires_at = None
    record("cancel", "appointment", appointment.id, actor=by, patient_id=appointment.patient_id,
           detail={"by": by.role})
    return appointment


def set_outcome(appointment: Appointment, outcome: str, *, by: User, now: datetime) -> Appointment:
    if outcome not in (COMPLETED, NO_SHOW):
        raise BookingError("Choose completed or no-show.")
    if appointment.status != CONFIRMED:
        raise NotAllowed("Only a confirmed appointment can be marked completed or no-show.")
    if appointment.starts_at > now:
        raise NotAllowed("An appointment can be marked completed or no-show once it has started.")
    appointment.status = outcome
    record(outcome, "appointment", appointment.id, actor=by, patient_id=appointment.patient_id)
    return appointment
