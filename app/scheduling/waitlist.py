"""The waitlist: a patient waits for a consultation type within a window of dates (and, optionally,
times of day, on her own clock). `offer_open_times(now)` is the periodic job: it settles the offers
that were taken or ran out, then offers each waiting patient, first come first served, the earliest
open time that suits her and that she has not been offered before, by holding it for her (an ordinary
hold: booking.book with `hold_for`) and emailing her (through the outbox).

Never to two people at once: the hold is an active appointment, so the slot engine, the write lock
(SQLite) and the exclusion constraint (PostgreSQL) keep a second hold off the same time; and a
partial unique index allows one open offer per entry. Never a time no longer free: book() checks
the time inside the practitioner's lock. An offer not taken when its hold runs out lapses and the
next run offers the time to the next patient."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.scheduling import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    PAY_AT_APPOINTMENT,
    PENDING_PAYMENT,
    Appointment,
    ConsultationType,
)
from app.models.waitlist import (
    BOOKED,
    LEFT,
    OFFER_LAPSED,
    OFFER_OPEN,
    OFFER_TAKEN,
    WAITING,
    WaitlistEntry,
    WaitlistOffer,
)
from app.refusals import Refusal
from app.scheduling import booking, schedule

DEFAULT_HOLD = timedelta(minutes=120)


class WaitlistError(Refusal):
    pass


class AlreadyWaiting(WaitlistError):
    status = 409


# --- pure -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Wish:
    """What a waiting patient accepts: local dates (inclusive) and optionally a time-of-day range."""
    first_day: date
    last_day: date
    zone: str
    earliest: time | None = None
    latest: time | None = None

    def window(self) -> tuple[datetime, datetime]:
        return schedule.local_window(self.first_day, self.last_day, self.zone)

    def fits(self, start: datetime, duration: timedelta) -> bool:
        local = start.astimezone(ZoneInfo(self.zone))
        if not self.first_day <= local.date() <= self.last_day:
            return False
        if self.earliest is None or self.latest is None:
            return True
        end = (start + duration).astimezone(ZoneInfo(self.zone))
        return self.earliest <= local.time() and end.date() == local.date() and end.time() <= self.latest


def first_fit(wish: Wish, open_starts: list[datetime], duration: timedelta, refused: set[datetime]) -> datetime | None:
    return next((s for s in open_starts if s not in refused and wish.fits(s, duration)), None)


def wish_of(entry: WaitlistEntry) -> Wish:
    return Wish(entry.first_day, entry.last_day, entry.timezone, entry.earliest, entry.latest)


# --- joining and leaving --------------------------------------------------------------------------

def join(patient: User, ct: ConsultationType, wish: Wish, *, now: datetime) -> WaitlistEntry:
    if not ct.active:
        raise WaitlistError("This consultation type is not open for booking.")
    today = now.astimezone(ZoneInfo(wish.zone)).date()
    if wish.first_day < today:
        raise WaitlistError("Choose dates from today on.")
    if wish.last_day < wish.first_day:
        raise WaitlistError("The last date must be on or after the first.")
    if wish.last_day > today + timedelta(days=ct.horizon_days):
        raise WaitlistError(f"Bookings open {ct.horizon_days} days ahead: choose dates up to "
                            f"{(today + timedelta(days=ct.horizon_days)).isoformat()}.")
    if (wish.earliest is None) != (wish.latest is None):
        raise WaitlistError("Give both the earliest and the latest time of day, or neither.")
    if wish.earliest is not None and wish.latest is not None and wish.earliest >= wish.latest:
        raise WaitlistError("The earliest time of day must be before the latest.")
    if waiting_entry(patient, ct) is not None:
        raise AlreadyWaiting("You are already on the waitlist for this consultation. Leave it first to change "
                             "your dates.")
    start, end = wish.window()
    duration = timedelta(minutes=ct.duration_minutes)
    already_open = [int(s.timestamp()) for s in schedule.open_slots(ct, max(start, now), end, now)
                    if wish.fits(s, duration)] if end > now else []
    entry = WaitlistEntry(patient_id=patient.id, consultation_type_id=ct.id, first_day=wish.first_day,
                          last_day=wish.last_day, earliest=wish.earliest, latest=wish.latest, timezone=wish.zone,
                          status=WAITING, created_at=now, open_at_join=already_open)
    db.session.add(entry)
    db.session.flush()
    record("waitlist_join", "waitlist_entry", entry.id, actor=patient, patient_id=patient.id)
    return entry


def not_new_to(entry: WaitlistEntry) -> set[datetime]:
    """The times that were open and suited her when she joined and have not been freed since: she is
    never offered these. A time opens up for her when an appointment or hold made at or after her joining
    over it was cancelled or ran out; times she could not have booked then (new hours, a calendar event
    gone, another patient's hold) were never in the list."""
    if not entry.open_at_join:
        return set()
    seen = {datetime.fromtimestamp(t, timezone.utc) for t in entry.open_at_join}
    ct = entry.consultation_type
    duration = timedelta(minutes=ct.duration_minutes)
    freed = db.session.execute(select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.practitioner_id == ct.practitioner_id, Appointment.status.in_((CANCELLED, EXPIRED)),
        Appointment.created_at >= entry.created_at,
        Appointment.starts_at < max(seen) + duration, Appointment.ends_at > min(seen))).all()
    return {s for s in seen if not any(start < s + duration and end > s for start, end in freed)}


def waiting_entry(patient: User, ct: ConsultationType) -> WaitlistEntry | None:
    return db.session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.patient_id == patient.id, WaitlistEntry.consultation_type_id == ct.id,
        WaitlistEntry.status == WAITING))


def entries_of(patient: User) -> list[WaitlistEntry]:
    return list(db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.patient_id == patient.id, WaitlistEntry.status == WAITING).order_by(WaitlistEntry.created_at)))


def open_offer(entry: WaitlistEntry) -> WaitlistOffer | None:
    return db.session.scalar(select(WaitlistOffer).where(
        WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OFFER_OPEN))


def leave(entry: WaitlistEntry, *, now: datetime, actor: User | None = None) -> bool:
    """Leave the waitlist (False when already off it). An offered time she had not taken is released."""
    if entry.status != WAITING:
        return False
    entry.status, entry.left_at = LEFT, now
    offer = open_offer(entry)
    if offer is not None:
        _release(offer)
    record("waitlist_leave", "waitlist_entry", entry.id, actor=actor, patient_id=entry.patient_id)
    return True


def _release(offer: WaitlistOffer) -> None:
    offer.status = OFFER_LAPSED
    hold = offer.appointment
    if hold.status == PENDING_PAYMENT:
        hold.status, hold.hold_expires_at = EXPIRED, None


# --- taking or declining an offer -----------------------------------------------------------------

def offer_for(patient: User, offer_id: int) -> WaitlistOffer | None:
    return db.session.scalar(select(WaitlistOffer).join(WaitlistEntry).where(
        WaitlistOffer.id == offer_id, WaitlistEntry.patient_id == patient.id))


def accept(offer: WaitlistOffer, *, now: datetime, take_payment: bool) -> Appointment:
    """Take the offered time. With online payment the hold stays for checkout (paying confirms it);
    without, it is confirmed now, to be paid at the appointment."""
    hold = offer.appointment
    if offer.status != OFFER_OPEN or not hold.is_blocking(now):
        raise booking.NotAllowed("This offer has ended and the time has been released. "
                                 "You are still on the waitlist unless you booked or left it.")
    if not take_payment:
        hold.status, hold.hold_expires_at, hold.payment_status = CONFIRMED, None, PAY_AT_APPOINTMENT
        _taken(offer)
    record("waitlist_accept", "waitlist_offer", offer.id, actor=offer.entry.patient, patient_id=hold.patient_id)
    return hold


def decline(offer: WaitlistOffer, *, now: datetime) -> None:
    if offer.status == OFFER_OPEN:
        _release(offer)
        record("waitlist_decline", "waitlist_offer", offer.id, actor=offer.entry.patient,
               patient_id=offer.entry.patient_id)


def _taken(offer: WaitlistOffer) -> None:
    offer.status = OFFER_TAKEN
    offer.entry.status = BOOKED


# --- the periodic job -----------------------------------------------------------------------------

def settle_offers(now: datetime) -> int:
    """Open offers whose hold was confirmed become taken; those whose hold ended lapse."""
    changed = 0
    for offer in db.session.scalars(select(WaitlistOffer).where(WaitlistOffer.status == OFFER_OPEN)):
        hold = offer.appointment
        if hold.status == CONFIRMED:
            _taken(offer)
            changed += 1
        elif not hold.is_blocking(now):
            offer.status = OFFER_LAPSED
            changed += 1
    db.session.commit()
    return changed


def offer_open_times(now: datetime, *, hold: timedelta = DEFAULT_HOLD, practitioner_id: int | None = None,
                     take_payment: bool = False, notify=None) -> list[WaitlistOffer]:
    """Offer open times to waiting patients; returns the offers made. `notify(offer)` queues the email
    (app/notify/waitlist.py) in the offer's own transaction. Each offer commits on its own.
    `take_payment`: the hold waits for online payment (Stripe configured) rather than a click."""
    settle_offers(now)
    query = (select(WaitlistEntry.id).join(ConsultationType)
             .where(WaitlistEntry.status == WAITING, ConsultationType.active.is_(True))
             .order_by(WaitlistEntry.created_at, WaitlistEntry.id))
    if practitioner_id is not None:
        query = query.where(ConsultationType.practitioner_id == practitioner_id)
    made = []
    # Open times per (type, window), read once for all the patients waiting with the same dates; an
    # offer changes them, so it empties the cache. (book() re-checks inside the lock in any case.)
    slots: dict[tuple, list[datetime]] = {}
    for entry_id in db.session.scalars(query).all():
        offer = _offer_to(entry_id, now, hold, take_payment, notify, slots)
        if offer is not None:
            made.append(offer)
            slots.clear()
    return made


def _offer_to(entry_id: int, now: datetime, hold: timedelta, take_payment: bool, notify,
              slots: dict[tuple, list[datetime]]) -> WaitlistOffer | None:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.status != WAITING or open_offer(entry) is not None:
        return None
    ct = entry.consultation_type
    wish = wish_of(entry)
    start, end = wish.window()
    if end <= now:
        return None
    refused = set(db.session.scalars(select(WaitlistOffer.starts_at).where(WaitlistOffer.entry_id == entry.id)))
    refused |= not_new_to(entry)  # only times that opened up after she joined
    duration = timedelta(minutes=ct.duration_minutes)
    key = (ct.id, max(start, now), end)
    if key not in slots:
        slots[key] = schedule.open_slots(ct, max(start, now), end, now)
    for candidate in [s for s in slots[key] if s not in refused and wish.fits(s, duration)][:3]:
        offer = _try_hold(entry_id, candidate, now, hold, take_payment, notify)
        if offer is not None:
            return offer
        slots.clear()  # taken meanwhile, or she was offered one elsewhere: the next patient reads afresh
    return None


def _try_hold(entry_id: int, start: datetime, now: datetime, hold: timedelta, take_payment: bool,
              notify) -> WaitlistOffer | None:
    """Hold `start` for the entry's patient and record the offer, all in one transaction, or nothing."""
    db.session.commit()  # booking.book takes the write lock at the start of a transaction
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None:  # her account was erased since it was read (its entries go with it)
        return None
    try:
        appointment = booking.book(booking.BookingRequest(
            patient=entry.patient, consultation_type=entry.consultation_type, start=start,
            patient_timezone=entry.timezone, take_payment=take_payment, hold_for=hold,
            note="Offered from the waitlist"), now)
        db.session.refresh(entry)  # inside the lock: she may have left or been offered a time meanwhile
        if entry.status != WAITING or open_offer(entry) is not None:
            db.session.rollback()
            return None
        offer = WaitlistOffer(entry_id=entry.id, appointment_id=appointment.id, starts_at=start, status=OFFER_OPEN,
                              offered_at=now, expires_at=appointment.hold_expires_at)
        with db.session.begin_nested():  # the partial unique index: one open offer per entry
            db.session.add(offer)
        if notify is not None:
            notify(offer)
        db.session.commit()
    except booking.BookingError:
        db.session.rollback()  # taken or no longer offered since it was read: try the next time
        return None
    except IntegrityError:
        db.session.rollback()  # another run offered her a time first
        return None
    return offer
