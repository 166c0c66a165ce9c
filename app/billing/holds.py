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
    sessions = []
    for appointment in due:
        appointment.status = EXPIRED
        appointment.hold_expires_at = None
        payment = db.session.scalar(select(Payment).where(
            Payment.purpose == "appointment", Payment.purpose_id == appointment.id, Payment.status == OPEN))
        if payment is not None and payment.checkout_session_id:
            sessions.append(payment.checkout_session_id)
    db.session.commit()
    if enabled():
        for session_id in sessions:
            _expire_on_stripe(session_id, now)
    return len(due)


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
        else:
            fulfilment.lapse_checkout(session_id, now)
        db.session.commit()
    except (StripeError, fulfilment.UnknownPayment) as error:
        db.session.rollback()
        log.warning("session %s left for the next run: %s", session_id, error.__class__.__name__)
