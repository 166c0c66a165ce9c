"""Stripe's webhook, the Checkout return pages, and the practitioner's payments list."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from app.billing import fulfilment, purposes, reports, webhook
from app.billing.client import StripeError, enabled
from app.clock import utcnow
from app.csv_export import csv_text
from app.database import writes
from app.extensions import csrf, db
from app.models.billing import Payment, PaymentStatus
from app.money import format_amount
from app.scheduling.profiles import profile_for
from app.web.access import practitioner_required

bp = Blueprint("billing", __name__)
log = logging.getLogger("homeostasis.billing")


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    if not enabled() or not request.headers.get("Stripe-Signature"):
        return jsonify({"error": {"code": "bad_signature", "message": "Missing or invalid signature."}}), 400
    try:
        event = webhook.verify(request.get_data(), request.headers.get("Stripe-Signature"))
    except webhook.BadSignature:
        return jsonify({"error": {"code": "bad_signature", "message": "Missing or invalid signature."}}), 400
    except webhook.Malformed as error:
        log.warning("webhook refused: signed but malformed (%s)", error)
        return jsonify({"error": {"code": "bad_event", "message": "Not a Stripe event: data.object is missing."}}), 400
    try:
        outcome = webhook.handle(event, utcnow())
        db.session.commit()
    except StripeError as error:
        db.session.rollback()
        log.warning("webhook %s: Stripe unreachable (%s); asking for a retry", event["id"], error.__class__.__name__)
        return jsonify({"error": {"code": "retry", "message": "Temporarily unable to process; retry."}}), 503
    log.info("webhook %s %s: %s", event["id"], event["type"], outcome)
    return jsonify({"received": True})


@bp.get("/billing/return")
@writes  # fulfils a payment Stripe confirms on the way back
@login_required
def checkout_return():
    """Stripe's success URL: fulfil now rather than wait for the webhook (whichever is first wins)."""
    session_id = request.args.get("session_id", "")
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == session_id,
                                                      Payment.patient_id == current_user.id))
    if payment is None:
        abort(404, "We couldn't find that payment.")
    try:
        fulfilment.fulfil_checkout(session_id, utcnow())
        db.session.commit()
    except (StripeError, fulfilment.UnknownPayment):
        db.session.rollback()
        flash("Your payment is being confirmed. This page will show it within a minute; there is no need to pay again.",
              "info")
        return redirect(purposes.purpose(payment.purpose).landing(payment), 303)
    payment = db.session.get(Payment, payment.id)
    if payment.status == PaymentStatus.PAID:
        flash("Thank you: your payment was received.", "success")
    return redirect(purposes.purpose(payment.purpose).landing(payment), 303)


@bp.get("/billing/cancelled/<int:payment_id>")
@login_required
def checkout_cancelled(payment_id: int):
    payment = db.session.scalar(select(Payment).where(Payment.id == payment_id, Payment.patient_id == current_user.id))
    if payment is None:
        abort(404)
    flash("Payment was not completed. Nothing was charged.", "info")
    return redirect(purposes.purpose(payment.purpose).landing(payment), 303)


@bp.get("/practice/payments")
@practitioner_required
def payments():
    zone = ZoneInfo(profile_for(current_user).timezone)
    listed = select(Payment).where(Payment.status != PaymentStatus.OPEN).order_by(Payment.created_at.desc())
    if request.args.get("format") == "csv":  # the export has every payment; the page the latest 2,000
        return _csv(db.session.scalars(listed).all(), zone)
    rows = db.session.scalars(listed.limit(2000)).all()
    return render_template("practice/payments.html", payments=rows,
                           months=reports.monthly_totals(profile_for(current_user).timezone),
                           zone=profile_for(current_user).timezone)


def _csv(rows, zone) -> Response:
    text = csv_text(["payment_id", "paid_at", "patient", "description", "currency", "amount", "refunded", "status",
                     "provider", "method"],
                    ([p.id, p.paid_at.astimezone(zone).isoformat() if p.paid_at else "",
                      p.patient.full_name if p.patient else "", p.description, p.currency.upper(),
                      format_amount(p.amount_minor, p.currency), format_amount(p.refunded_minor, p.currency),
                      p.status, p.provider, p.method]
                     for p in rows))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=payments.csv", "Cache-Control": "no-store"})
