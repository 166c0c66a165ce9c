"""The Stripe client, configured from the app (STRIPE_SECRET_KEY, STRIPE_API_BASE)."""
from __future__ import annotations

from urllib.parse import urlsplit

import stripe
from flask import Flask, current_app

# The API version this code is built and tested against.
STRIPE_API_VERSION = "2026-10-28.endive"

StripeError = stripe.StripeError
SignatureError = stripe.SignatureVerificationError


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    config = current_app.config
    cached = current_app.extensions.get("stripe_client")
    if cached is not None:
        return cached
    base = config.get("STRIPE_API_BASE")
    made = stripe.StripeClient(config["STRIPE_SECRET_KEY"], stripe_version=STRIPE_API_VERSION, max_network_retries=2,
                               base_addresses={"api": base.rstrip("/")} if base else None)
    current_app.extensions["stripe_client"] = made
    return made


def construct_event(payload: bytes, signature: str | None):
    return stripe.Webhook.construct_event(payload.decode("utf-8"), signature or "",
                                          current_app.config["STRIPE_WEBHOOK_SECRET"])


def init_app(app: Flask) -> None:
    # Checkout is a redirect after a form POST, which CSP form-action governs in browsers.
    base = app.config.get("STRIPE_API_BASE")
    if base:
        parts = urlsplit(base)
        app.config.setdefault("STRIPE_CHECKOUT_ORIGIN", f"{parts.scheme}://{parts.netloc}")
    else:
        app.config.setdefault("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
