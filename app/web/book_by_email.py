"""Booking with a name and an email address, no password (issue 21 point 3).

On the review of the time she chose, a visitor gives her name, email and consent (`details`); we email a
6-digit code (app/accounts/verification.py, purpose BOOKING) and ask for it (`code`). The right code proves
the address is hers, because a health record must belong to an address its owner controls: then a new
address gets a patient account with no password (she can set one at /account/password, or sign in with
an emailed code again), a returning patient's address signs her in, and the time is booked.

The time is not held while she reads her email: it is checked again when she confirms with the code,
inside the booking lock (app/bookings.place), and if it went meanwhile she sees the nearest open times.
Holding it would let anyone block times with addresses they do not own. What she typed waits in the
signed session cookie (her name, address, the time and zone; never health data) until then.

The same answer and the same email whether or not the address has an account: no enumeration. A
practitioner's address is refused at the code step (practitioners book from the practice area).

`sign_in` (/book/sign-in, linked from the login page) is the same code without a booking: how a patient
with no password signs in to see her appointments."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.accounts import service, verification
from app.clock import utcnow
from app.extensions import db, limiter
from app.models.accounts import find_user_by_email, normalise_email
from app.models.audit import record
from app.models.scheduling import ConsultationType
from app.notify.mail import queue_email
from app.timezones import valid_zone_name
from app.web.booking import payments_enabled, place_and_answer, review_page, type_or_404
from app.web.forms import BookingDetailsForm, SignInCodeForm, parse_instant
from app.web.intake_safety import ASK_FIRST, redirect_to_screen, screen_passed
from app.web.limits import MAIL_TOO_OFTEN, booking_attempt_limits, mail_limits
from app.web.security import is_safe_next, safe_next
from app.web.sessions import start_session

bp = Blueprint("book_email", __name__, url_prefix="/book")

PENDING = "booking_by_email"
PRACTITIONER_REFUSED = "Practitioners book for a patient from the practice area."


def _chosen(ct: ConsultationType) -> tuple[datetime, str]:
    """The time and zone the form carries: the review's hidden fields."""
    start = parse_instant(request.form.get("start"))
    zone = request.form.get("tz", "")
    if start is None:
        abort(422, "Choose a time from the list of open times.")
    return start, zone if valid_zone_name(zone) else ct.practitioner.timezone


def _pending(slug: str) -> dict | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("slug") != slug:
        return None
    return pending


def _send_code(pending: dict) -> None:
    code = verification.issue(verification.BOOKING, pending["email"], utcnow())
    practice = current_app.config["PRACTICE_NAME"]
    queue_email(pending["email"], "booking_code", subject=f"Your {practice} code: {code}", kind="verify_email",
                name=pending["name"], code=code, minutes=int(verification.CODE_LIFETIME.total_seconds() // 60),
                code_path=url_for("book_email.code", slug=pending["slug"]))


@bp.post("/<slug>/details")
@limiter.limit("30 per minute", methods=["POST"])
@mail_limits(typed_address=True)
def details(slug: str):
    ct = type_or_404(slug)
    start, zone = _chosen(ct)
    if current_user.is_authenticated:
        return redirect(url_for("booking.review", slug=slug, start=start.isoformat(), tz=zone), 303)
    if not screen_passed():
        flash(ASK_FIRST, "info")
        return redirect_to_screen(url_for("booking.review", slug=slug, start=start.isoformat(), tz=zone))
    form = BookingDetailsForm()
    if not form.validate_on_submit():
        return review_page(ct, start, zone, form), 422
    pending = {"slug": slug, "start": start.isoformat(), "tz": zone, "email": normalise_email(form.email.data),
               "name": form.full_name.data}
    session[PENDING] = pending
    _send_code(pending)
    db.session.commit()
    return redirect(url_for("book_email.code", slug=slug), 303)


def _code_page(ct: ConsultationType, pending: dict, error: str | None = None):
    start = parse_instant(pending["start"])
    return render_template("booking/code.html", ct=ct, zone=pending["tz"], start=start,
                           end=start + timedelta(minutes=ct.duration_minutes) if start else None,
                           practice=ct.practitioner, email=pending["email"], error=error,
                           take_payment=payments_enabled())


@bp.route("/<slug>/code", methods=["GET", "POST"])
@booking_attempt_limits
def code(slug: str):
    ct = type_or_404(slug)
    pending = _pending(slug)
    if pending is None or current_user.is_authenticated:
        return redirect(url_for("booking.month", slug=slug), 303 if request.method == "POST" else 302)
    if request.method == "GET":
        return _code_page(ct, pending)
    if not screen_passed():  # the red-flag screen comes before any time is booked
        flash(ASK_FIRST, "info")
        return redirect_to_screen(url_for("book_email.code", slug=slug))
    now = utcnow()
    try:
        verification.check(verification.BOOKING, pending["email"], request.form.get("code", ""), now)
    except verification.CodeRefused as refused:
        db.session.commit()  # the try is counted
        return _code_page(ct, pending, refused.message), refused.status
    user = find_user_by_email(pending["email"])
    if user is not None and not user.is_patient:
        db.session.commit()  # the code is used up
        session.pop(PENDING, None)
        abort(403, PRACTITIONER_REFUSED)
    if user is None:
        user = service.register_patient_by_email(email=pending["email"], full_name=pending["name"],
                                                 timezone=pending["tz"], now=now)
        record("consent", "health_data", user.id, actor=user, patient_id=user.id)
    elif not user.email_verified:
        user.email_verified_at = now  # the code proved it
    start_session(user)  # also forgets the pending details (a fresh session)
    record("login", "session", actor=user, patient_id=user.id, detail={"method": "emailed_code"})
    db.session.commit()
    start = parse_instant(pending["start"])
    if start is None:
        abort(422, "Choose a time from the list of open times.")
    g.booking_attempted = True  # counted by the booking limits (a wrong code is not)
    return place_and_answer(ct, user, start, pending["tz"])


def _pending_address() -> str:
    pending = session.get(PENDING)
    return "email:" + (pending.get("email", "") if isinstance(pending, dict) else "")


@bp.post("/<slug>/code/resend")
@mail_limits()
@limiter.shared_limit(lambda: current_app.config["MAIL_RATE_LIMIT_ADDRESS"], "mail-address",
                      key_func=_pending_address, methods=["POST"], error_message=MAIL_TOO_OFTEN,
                      deduct_when=lambda response: bool(g.get("mail_queued")))
def resend(slug: str):
    type_or_404(slug)
    pending = _pending(slug)
    if pending is None or current_user.is_authenticated:
        return redirect(url_for("booking.month", slug=slug), 303)
    _send_code(pending)
    db.session.commit()
    flash(f"We sent a new code to {pending['email']}. Earlier codes no longer work.", "info")
    return redirect(url_for("book_email.code", slug=slug), 303)


# --- signing in with an emailed code, outside a booking ---------------------------------------------------

SIGN_IN = "sign_in_by_code"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@mail_limits(typed_address=True)
def sign_in():
    """A patient without a password (or who forgot it) asks for a code to sign in: the same answer whether
    or not the address has an account; only a patient's account is emailed."""
    if current_user.is_authenticated:
        return redirect(url_for("account.home"))
    form = SignInCodeForm()
    next_url = request.values.get("next")
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/code_sign_in.html", form=form, next=next_url), status
    email = normalise_email(form.email.data)
    session[SIGN_IN] = {"email": email, "next": next_url if is_safe_next(next_url) else None}
    user = find_user_by_email(email)
    if user is not None and user.is_patient:
        code = verification.issue(verification.SIGN_IN, email, utcnow())
        practice = current_app.config["PRACTICE_NAME"]
        queue_email(email, "sign_in_code", subject=f"Your {practice} code: {code}", kind="verify_email",
                    user=user, code=code, minutes=int(verification.CODE_LIFETIME.total_seconds() // 60),
                    code_path=url_for("book_email.sign_in_code"))
    db.session.commit()
    return redirect(url_for("book_email.sign_in_code"), 303)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def sign_in_code():
    pending = session.get(SIGN_IN)
    if current_user.is_authenticated or not isinstance(pending, dict):
        return redirect(url_for("book_email.sign_in"), 303 if request.method == "POST" else 302)
    if request.method == "GET":
        return render_template("auth/code_sign_in_enter.html", email=pending["email"], error=None)
    try:
        verification.check(verification.SIGN_IN, pending["email"], request.form.get("code", ""), utcnow())
    except verification.CodeRefused as refused:
        db.session.commit()  # the try is counted
        return render_template("auth/code_sign_in_enter.html", email=pending["email"],
                               error=refused.message), refused.status
    user = find_user_by_email(pending["email"])
    if user is None or not user.is_patient:  # a code is only ever sent to a patient's address
        abort(422, "That code is not right. Ask for a new code.")
    if not user.email_verified:
        user.email_verified_at = utcnow()
    start_session(user)
    record("login", "session", actor=user, patient_id=user.id, detail={"method": "emailed_code"})
    db.session.commit()
    return redirect(safe_next(pending.get("next"), url_for("account.home")), 303)
