"""Proving the email address is hers: a 6-digit code emailed at sign-up (app/accounts/verification.py),
typed in at /auth/verify. Until then a patient's account cannot book, join a waitlist or open the
health-data pages (the intake, symptoms, lab results, the diary): `gate` sends her here instead (or
answers 403 `email_unverified` on the API)."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts import verification
from app.clock import utcnow
from app.extensions import db
from app.models.accounts import User
from app.notify.mail import queue_email
from app.web.access import patient_required, signed_in_user
from app.web.errors import error_response, wants_json
from app.web.limits import mail_limits
from app.web.security import safe_next

bp = Blueprint("verify", __name__, url_prefix="/auth/verify")

# What an unverified patient may not do: book, hold, wait for a time, or see or send health data.
GATED_BLUEPRINTS = frozenset({"intake", "diary"})
GATED_ENDPOINTS = frozenset({"booking.confirm", "api.create_booking", "api.intake_response", "waitlist.join"})
UNVERIFIED = "Confirm your email address first: enter the code we emailed you."


def send_code(user: User) -> None:
    """Queue a new code to her address (in the caller's transaction); earlier codes stop working."""
    code = verification.issue(verification.SIGN_UP, user.email, utcnow())
    practice = current_app.config["PRACTICE_NAME"]
    queue_email(user.email, "verify_email", subject=f"Your {practice} code: {code}", kind="verify_email",
                user=user, code=code, minutes=int(verification.CODE_LIFETIME.total_seconds() // 60),
                verify_path=url_for("verify.enter"))


@bp.route("", methods=["GET", "POST"])
@patient_required
def enter():
    user = signed_in_user()
    next_url = request.values.get("next")
    done = safe_next(next_url, url_for("account.home"))
    if user.email_verified:
        return redirect(done, 303 if request.method == "POST" else 302)
    if request.method == "GET":
        return render_template("auth/verify.html", email=user.email, next=next_url, error=None)
    try:
        verification.check(verification.SIGN_UP, user.email, request.form.get("code", ""), utcnow())
    except verification.CodeRefused as refused:
        db.session.commit()  # the try is counted
        return render_template("auth/verify.html", email=user.email, next=next_url,
                               error=refused.message), refused.status
    user.email_verified_at = utcnow()
    db.session.commit()
    flash("Thank you: your email address is confirmed.", "success")
    return redirect(done, 303)


@bp.post("/resend")
@mail_limits()
@patient_required
def resend():
    user = signed_in_user()
    if not user.email_verified:
        send_code(user)
        db.session.commit()
        flash(f"We sent a new code to {user.email}. Earlier codes no longer work.", "info")
    return redirect(url_for("verify.enter", next=request.form.get("next") or None), 303)


def init_app(app: Flask) -> None:
    @app.before_request
    def gate():
        if request.endpoint is None:
            return None
        blueprint = request.endpoint.partition(".")[0]
        if blueprint not in GATED_BLUEPRINTS and request.endpoint not in GATED_ENDPOINTS:
            return None
        if not current_user.is_authenticated or not current_user.is_patient or current_user.email_verified:
            return None
        if wants_json():
            return error_response(403, UNVERIFIED, code="email_unverified")
        flash(UNVERIFIED, "info")
        back = request.full_path if request.method == "GET" else request.referrer
        return redirect(url_for("verify.enter", next=back if back and back.startswith("/") else None), 303)
