"""Payment locks and Stripe event claims, below both fulfilment and refunds (which both need them).

- `lock_payment`: the payment's row locked for the rest of the transaction (SELECT ... FOR UPDATE on
  PostgreSQL; the write lock on SQLite), so a webhook, the success page and a refund never interleave.
- `claim_event`: a Stripe event id recorded once; False if it was processed before.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.database import serialised_write
from app.extensions import db
from app.models.billing import Payment, StripeEvent


def plain(obj) -> dict:
    """A StripeObject (not a dict in SDK v16) or None as a plain dict."""
    if obj is None:
        return {}
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def lock_payment(payment_id: int):
    return serialised_write(select(Payment.id).where(Payment.id == payment_id).with_for_update())


def claim_event(event_id: str | None, event_type: str) -> bool:
    """Record the event in the current transaction; False if it was processed before."""
    if event_id is None:
        return True
    if db.session.get(StripeEvent, event_id) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event_id, type=event_type))
    except IntegrityError:
        return False
    return True
