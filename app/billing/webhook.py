"""Stripe webhooks: a trigger, not a source of truth. Verify the signature on the raw body, then act
on objects fetched from Stripe. Every event id is recorded once, with the change it caused."""
from __future__ import annotations

import logging
from datetime import datetime

from app.billing import fulfilment, locks, refunds
from app.billing.client import SignatureError, construct_event

log = logging.getLogger("homeostasis.billing")
PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
LAPSED_EVENTS = {"checkout.session.expired", "checkout.session.async_payment_failed"}
REFUND_EVENTS = {"charge.refunded", "refund.created", "refund.updated", "charge.refund.updated"}


class BadSignature(Exception):
    pass


def verify(payload: bytes, signature: str | None):
    if not signature:
        raise BadSignature("missing Stripe-Signature header")
    try:
        return construct_event(payload, signature)
    except (SignatureError, ValueError) as error:
        raise BadSignature(str(error)) from error


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
