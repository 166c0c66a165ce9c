"""Stripe webhooks: a trigger, not a source of truth. Verify the signature on the raw body, then act
on objects fetched from Stripe. Every event id is recorded once, with the change it caused."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from app.billing import fulfilment, locks, refunds
from app.billing.client import SignatureError, construct_event

log = logging.getLogger("homeostasis.billing")
PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
LAPSED_EVENTS = {"checkout.session.expired", "checkout.session.async_payment_failed"}
REFUND_EVENTS = {"charge.refunded", "refund.created", "refund.updated", "charge.refund.updated"}


class BadSignature(Exception):
    pass


class Malformed(Exception):
    """Signed, but not an event we can read (no `data.object`, a JSON list, not JSON): answered 400."""


def verify(payload: bytes, signature: str | None):
    if not signature:
        raise BadSignature("missing Stripe-Signature header")
    try:
        event = construct_event(payload, signature)
    except SignatureError as error:
        raise BadSignature(str(error)) from error
    except (ValueError, TypeError, AttributeError, KeyError) as error:  # the body, once the signature held
        raise Malformed(error.__class__.__name__) from error
    shape = event.to_dict() if hasattr(event, "to_dict") else None  # a StripeObject is not a Mapping (SDK v16)
    data = shape.get("data") if isinstance(shape, Mapping) else None
    if not (isinstance(shape, Mapping) and isinstance(shape.get("id"), str) and isinstance(shape.get("type"), str)
            and isinstance(data, Mapping) and isinstance(data.get("object"), Mapping)):
        raise Malformed("not an event with data.object")
    return event


def handle(event, now: datetime) -> str:
    """Process one verified event inside the caller's transaction. Returns what was done, for the log."""
    kind = event["type"]
    obj = locks.plain(event["data"]["object"])
    try:
        if kind in PAID_EVENTS:
            payment = fulfilment.fulfil_checkout(obj["id"], now, event_id=event["id"], event_type=kind)
            return "duplicate" if payment is None else f"payment {payment.id}: {payment.status}"
        if kind in LAPSED_EVENTS:
            payment = fulfilment.lapse_checkout(obj["id"], now, event_id=event["id"], event_type=kind)
            return "duplicate or paid" if payment is None else f"payment {payment.id}: {payment.status}"
        if kind in REFUND_EVENTS:
            ids = _refund_ids(kind, obj)
            done = [refunds.reconcile(refund_id, event_id=event["id"], event_type=kind) for refund_id in ids]
            if not ids:
                fulfilment.mark_event(event["id"], kind)
            return "refunds reconciled" if all(done) else "duplicate"
    except fulfilment.UnknownPayment:
        fulfilment.mark_event(event["id"], kind)
        return "not ours"
    fulfilment.mark_event(event["id"], kind)
    return "ignored"


def _refund_ids(kind: str, obj) -> list[str]:
    if kind.startswith("refund."):
        return [obj["id"]]
    if kind == "charge.refund.updated":
        return [obj["id"]]
    listed = (obj.get("refunds") or {}).get("data") or []
    return [r["id"] for r in listed]
