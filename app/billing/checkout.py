"""Opening a payment and sending the patient to Stripe Checkout.

The payment row is written in the booking's transaction; the Stripe call follows the commit. Its
idempotency key is derived from our payment id and the session's parameters, so a retry after a lost
response returns the same Checkout Session instead of creating a second one.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app, url_for

from app.billing.client import StripeError, client
from app.extensions import db
from app.models.accounts import User
from app.models.billing import OPEN, Payment
from app.models.scheduling import Appointment

if TYPE_CHECKING:
    from stripe.checkout import Session
    from stripe.params.checkout import SessionCreateParams

log = logging.getLogger("homeostasis.billing")
# Stripe refuses a Checkout Session that expires sooner than 30 minutes after it is created.
CHECKOUT_MINIMUM = timedelta(minutes=30)
CHECKOUT_LIFETIME = timedelta(minutes=31)
# The hold outlives the Checkout Session a little, so a payment made in the last second still finds it.
HOLD_MARGIN = timedelta(minutes=4)


class CheckoutUnavailable(Exception):
    """Stripe could not be reached or refused; the hold and the payment row are kept."""


class AlreadyPaid(CheckoutUnavailable):
    """The payment's Checkout Session was paid meanwhile: fulfil it rather than start another."""


def create_payment(*, patient: User, purpose: str, purpose_id: int, description: str, amount_minor: int,
                   currency: str) -> Payment:
    """A new open Stripe payment row (flushed, not committed); start_checkout sends it to Stripe."""
    payment = Payment(patient_id=patient.id, purpose=purpose, purpose_id=purpose_id, description=description,
                      amount_minor=amount_minor, currency=currency, provider="stripe", status=OPEN)
    db.session.add(payment)
    db.session.flush()
    return payment


def create_appointment_payment(appointment: Appointment, patient: User) -> Payment:
    ct = appointment.consultation_type
    return create_payment(patient=patient, purpose="appointment", purpose_id=appointment.id,
                          description=ct.name, amount_minor=appointment.price_minor, currency=appointment.currency)


def start_checkout(payment: Payment, *, now: datetime, success_url: str, cancel_url: str,
                   hold_expires_at: datetime | None = None) -> str:
    """Create (or find again) the Checkout Session; returns its URL. Call after the commit.

    A session that can still be paid is reused, never replaced: two payable sessions for one purchase
    could both be paid. (If that ever happens anyway, fulfilment refunds the second one.)"""
    if payment.checkout_session_id:
        try:
            current = client().v1.checkout.sessions.retrieve(payment.checkout_session_id)
        except StripeError as error:
            raise CheckoutUnavailable(str(error)) from error
        if current.status == "open":
            return _url_of(current)
        if current.status == "complete":
            raise AlreadyPaid(payment.checkout_session_id)
    expires_at = now + CHECKOUT_LIFETIME
    if hold_expires_at is not None:
        expires_at = min(max(hold_expires_at - HOLD_MARGIN, now + CHECKOUT_MINIMUM), now + timedelta(hours=23))
    metadata = {"payment_id": str(payment.id), "purpose": payment.purpose, "purpose_id": str(payment.purpose_id)}
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": payment.currency, "unit_amount": payment.amount_minor,
            "product_data": {"name": payment.description}}}],
        "client_reference_id": str(payment.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    # The remaining fields in the order they have always been sent, for retries under an earlier key.
    if payment.patient:
        params["customer_email"] = payment.patient.email
    params["expires_at"] = int(expires_at.timestamp())
    params["success_url"] = success_url
    params["cancel_url"] = cancel_url
    # Our ids alone could repeat if a database were ever restored or reset; the creation instant cannot.
    key = f"checkout-{payment.id}-{int(payment.created_at.timestamp() * 1e6)}-{params['expires_at']}"
    try:
        session = client().v1.checkout.sessions.create(params, options={"idempotency_key": key})
    except StripeError as error:
        log.warning("checkout for payment %s not started: %s", payment.id, error.__class__.__name__)
        raise CheckoutUnavailable(str(error)) from error
    payment.checkout_session_id = session.id
    url = _url_of(session)
    payment.checkout_url = url
    payment.checkout_expires_at = expires_at
    return url


def _url_of(session: Session) -> str:
    if session.url is None:  # Stripe gives every open hosted session (the only kind made here) its URL
        raise CheckoutUnavailable(f"Checkout Session {session.id} has no URL")
    return session.url


def return_urls(payment: Payment) -> tuple[str, str]:
    base = current_app.config["BASE_URL"]
    success = base + url_for("billing.checkout_return") + "?session_id={CHECKOUT_SESSION_ID}"
    if payment.purpose == "appointment":
        cancel = base + url_for("booking.pay", appointment_id=payment.purpose_id)
    else:
        cancel = base + url_for("billing.checkout_cancelled", payment_id=payment.id)
    return success, cancel
