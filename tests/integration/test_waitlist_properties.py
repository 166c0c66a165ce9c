"""Hypothesis over sequences of opens, joins, takes, leaves, outside bookings and hold expiries: after
every run of offer_open_times, no time is held for two people, every offer is a free time that suits
its patient and was never offered to her before, and no waiting patient is left without an offer
while a time that suits her (that she has not turned down, and that opened up after she joined) is open."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models.scheduling import CANCELLED, Appointment
from app.models.waitlist import OFFER_OPEN, WAITING, WaitlistEntry, WaitlistOffer
from app.scheduling import booking, schedule, waitlist
from tests.support.seeded import appointment_row

UTC = timezone.utc
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday; Thursday's times need 24 h notice
THURSDAY = date(2026, 12, 3)
STARTS = [datetime(2026, 12, 3, 15 + n, 0, tzinfo=UTC) for n in range(3)]  # 10:00, 11:00, 12:00 New York
HOLD = timedelta(minutes=60)
PATIENTS = 4
WISHES = [(None, None), (time(10), time(11)), (time(11), time(13)), (time(10), time(12)), (time(12), time(13))]
_practices = itertools.count()

OPS = st.lists(st.one_of(
    st.tuples(st.just("join"), st.integers(0, PATIENTS - 1), st.integers(0, len(WISHES) - 1)),
    st.tuples(st.just("open"), st.integers(0, len(STARTS) - 1)),
    st.tuples(st.just("book"), st.integers(0, len(STARTS) - 1)),  # someone else books a free time directly
    st.tuples(st.just("take"), st.integers(0, PATIENTS - 1)),
    st.tuples(st.just("leave"), st.integers(0, PATIENTS - 1)),
    st.tuples(st.just("lapse"), st.just(0)),
), min_size=1, max_size=14)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(ops=[("join", 0, 0), ("open", 0), ("lapse", 0)])  # a lapsed offer is not offered to her again
@given(ops=OPS)
def test_offers_never_overlap_always_fit_and_nobody_waits_while_a_fitting_time_is_open(app, make_practice, make_user,
                                                                                       ops):
    n = next(_practices)
    _, profile, ct = make_practice(email=f"dr{n}@example.com", slug=f"initial-{n}", intake_required=False,
                                   hours=[(3, time(10), time(13))])
    fillers = [appointment_row(make_user(), ct, start=start) for start in STARTS]
    patients = [make_user(timezone="America/New_York") for _ in range(PATIENTS)]
    now = NOW
    for op, arg, *rest in ops:
        now = _apply(op, arg, rest, ct, fillers, patients, now)
        waitlist.offer_open_times(now, hold=HOLD, practitioner_id=profile.id)
        _check(ct, profile.id, now)


def _apply(op, arg, rest, ct, fillers, patients, now):
    patient = patients[arg] if op in ("join", "take", "leave") else None
    entry = waitlist.waiting_entry(patient, ct) if patient is not None else None
    if op == "join" and entry is None:
        earliest, latest = WISHES[rest[0]]
        waitlist.join(patient, ct, waitlist.Wish(THURSDAY, THURSDAY, "America/New_York", earliest, latest), now=now)
    elif op == "open" and fillers[arg].status != CANCELLED:
        fillers[arg].status = CANCELLED
    elif op == "book":
        # The booking service itself, not book_appointment: a refusal is one of the outcomes the property allows,
        # and each step commits once, below.
        try:
            booking.book(booking.BookingRequest(patient=fillers[arg].patient, consultation_type=ct, start=STARTS[arg],
                                                patient_timezone="UTC", take_payment=False), now)
        except booking.BookingError:
            db.session.rollback()
    elif op == "take" and entry is not None and (offer := waitlist.open_offer(entry)) is not None:
        waitlist.accept(offer, now=now, take_payment=False)
    elif op == "leave" and entry is not None:
        waitlist.leave(entry, now=now)
    elif op == "lapse":
        now += HOLD + timedelta(minutes=1)
    db.session.commit()
    return now


def _check(ct, practitioner_id: int, now: datetime) -> None:
    db.session.expire_all()
    active = [a for a in db.session.scalars(select(Appointment).where(Appointment.practitioner_id == practitioner_id))
              if a.is_blocking(now)]
    assert len({a.starts_at for a in active}) == len(active), "one time held or booked twice"
    entries = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.consultation_type_id == ct.id)).all()
    offers = db.session.scalars(select(WaitlistOffer).where(WaitlistOffer.entry_id.in_([e.id for e in entries]))).all()
    pairs = [(o.entry_id, o.starts_at) for o in offers]
    assert len(set(pairs)) == len(pairs), "a patient was offered the same time twice"
    open_slots = schedule.open_slots(ct, STARTS[0] - timedelta(hours=1), STARTS[-1] + timedelta(hours=2), now)
    duration = timedelta(minutes=ct.duration_minutes)
    for entry in entries:
        mine = [o for o in offers if o.entry_id == entry.id and o.status == OFFER_OPEN]
        assert len(mine) <= 1
        wish = waitlist.wish_of(entry)
        for offer in mine:
            assert offer.appointment.is_blocking(now) and offer.appointment.patient_id == entry.patient_id
            assert wish.fits(offer.starts_at, duration)
        if entry.status == WAITING and not mine:
            # Times she could have booked when she joined are offered only once freed again since.
            refused = {o.starts_at for o in offers if o.entry_id == entry.id} | waitlist.not_new_to(entry)
            assert waitlist.first_fit(wish, open_slots, duration, refused) is None, \
                "a waiting patient was left without an open time that suits her"
