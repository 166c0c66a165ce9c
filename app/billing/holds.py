"""`flask expire-holds`: release ran-out holds and expire their still-open Checkout Sessions.
Safe on several hosts at once: rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app.billing import fulfilment
from app.billing.client import StripeError, client, enabled
from app.database import is_sqlite, serialised_write
from app.extensions import db
from app.models.billing import OPEN, Payment
from app.models.scheduling import EXPIRED, PENDING_PAYMENT, Appointment

log = logging.getLogger("homeostasis.billing")


def expire_holds(now: datetime, limit: int = 200) -> int:
    query = (select(Appointment).where(Appointment.status == PENDING_PAYMENT, Appointment.hold_expires_at <= now)
             .order_by(Appointment.hold_expires_at).limit(limit))
    if is_sqlite():
        with serialised_write():
            due = db.session.scalars(query).all()
    else:
        due = db.session.scalars(query.with_for_update(skip_locked=True)).all()
    for appointment in due:
        appointment.status = EXPIRED
        appointment.hold_expires_at = None
    db.session.commit()
    if enabled():
        sessions = _unsettled_sessions(limit)
        db.session.commit()  # no transaction held while Stripe answers
        for session_id in sessions:
            _expire_on_stripe(session_id, now)
    return len(due)


def _unsettled_sessions(limit: int) -> list[str]:
    """Checkout Sessions of released holds whose payment is still open: the holds just released, and
    those an earlier run could not settle (Stripe unreachable) or a booking released on its way.
    Each is asked about again on every run until Stripe says it was paid or has expired."""
    return list(db.session.scalars(
        select(Payment.checkout_session_id).join(Appointment, Appointment.id == Payment.purpose_id)
        .where(Payment.purpose == "appointment", Payment.status == OPEN, Payment.checkout_session_id.is_not(None),
               Appointment.status == EXPIRED)
        .order_by(Payment.id).limit(limit)))


def _expire_on_stripe(session_id: str, now: datetime) -> None:
    """Expire the session so it cannot be paid any more; if it was paid meanwhile, fulfil it."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except StripeError as error:
        log.info("session %s not expired (%s); checking whether it was paid", session_id, error.__class__.__name__)
    try:
        session = fulfilment.fetch_session(session_id)
        if session.status == "complete":
            fulfilment.fulfil_checkout(session_id, now)
        elif session.status == "expired":
            fulfilment.lapse_checkout(session_id, now)
        else:  # still open (the expiry did not go through): it could still be paid, so try again next run
            return
        db.session.commit()
    except (StripeError, fulfilment.UnknownPayment) as error:
        db.session.rollback()
        log.warning("session %s left for the next run: %s", session_id, error.__class__.__name__)
