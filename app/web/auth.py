"""Register, log in, log out, forgot and reset password."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts import service
from app.extensions import db, limiter
from app.models.accounts import normalise_email
from app.models.audit import record
from app.notify.mail import queue_email
from app.timezones import zone_names
from app.web import devices, verify
from app.web.forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from app.web.limits import mail_limits
from app.web.security import is_safe_next, safe_next
from app.web.sessions import end_session, start_session

bp = Blueprint("auth", __name__, url_prefix="/auth")

PER_IP = "30 per minute"
PER_EMAIL = "5 per minute"
# Wrong passwords (issue 20): the waits grow (a minute, then an hour, then a day). Per IP address; and per
# account only for browsers that have not signed in to it before, so guessing cannot lock the owner out
# of her own devices (app/web/devices.py), which have a lockout of their own.
FAILED_PER_IP = "10 per minute;30 per hour;100 per day"
FAILED_PER_ACCOUNT = "5 per minute;10 per hour;20 per day"
FAILED_PER_DEVICE = "10 per minute;30 per hour"


def _email_key() -> str:
    return "email:" + normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    return response.status_code >= 400


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(PER_IP, methods=["POST"])
@limiter.limit(PER_EMAIL, key_func=_email_key, methods=["POST"])
@mail_limits(typed_address=True)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("account.home"))
    form = RegisterForm()
    next_url = request.values.get("next")
    if form.validate_on_submit():
        try:
            user = service.register_patient(email=form.email.data, full_name=form.full_name.data,
                                            password=form.password.data, timezone=form.timezone.data,
                                            consent=form.consent.data)
        except service.AccountError as error:
            for field, message in error.errors.items():
                getattr(form, field).errors.append(message)
            return render_template("auth/register.html", form=form, zones=zone_names(), next=next_url), 422
        record("consent", "health_data", user.id, actor=user, patient_id=user.id)
        verify.send_code(user)
        start_session(user)
        db.session.commit()
        flash(f"Welcome. We emailed a code to {user.email}: enter it to confirm the address is yours.", "success")
        next_url = next_url if is_safe_next(next_url) else None
        return redirect(url_for("verify.enter", next=next_url), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form, zones=zone_names(), next=next_url), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(PER_IP, methods=["POST"])
@limiter.limit(FAILED_PER_IP, methods=["POST"], deduct_when=_failed)
@limiter.limit(FAILED_PER_ACCOUNT, key_func=_email_key, methods=["POST"], deduct_when=_failed,
               exempt_when=devices.trusted_for_typed_email)
@limiter.limit(FAILED_PER_DEVICE, key_func=devices.device_key, methods=["POST"], deduct_when=_failed,
               exempt_when=lambda: not devices.trusted_for_typed_email())
def login():
    if current_user.is_authenticated:
        return redirect(url_for("account.home"))
    form = LoginForm()
    next_url = request.values.get("next")
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()
            form.password.errors.append("Email or password is incorrect.")
            return render_template("auth/login.html", form=form, next=next_url), 401
        start_session(user)
        record("login", "session", actor=user, patient_id=user.id if user.is_patient else None)
        db.session.commit()
        default = url_for("practice.agenda") if user.is_practitioner else url_for("account.home")
        response = redirect(safe_next(next_url, default), 303)
        devices.remember(response, user)
        return response
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, next=next_url), status


@bp.post("/logout")
def logout():
    end_session()
    db.session.commit()
    flash("You have been logged out.", "info")
    return redirect(url_for("public.home"), 303)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(PER_IP, methods=["POST"])
@limiter.limit(PER_EMAIL, key_func=_email_key, methods=["POST"])
@mail_limits(typed_address=True)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = service.find_user_by_email(form.email.data)
        if user is not None:
            token = service.reset_token(user)
            practice = current_app.config["PRACTICE_NAME"]
            queue_email(user.email, "password_reset", subject=f"Reset your {practice} password",
                        kind="password_reset", user=user,
                        reset_path=url_for("auth.reset_password", token=token))
        db.session.commit()
        # The same answer whether or not the account exists: no user enumeration.
        return render_template("auth/forgot_sent.html", email=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(PER_IP, methods=["POST"])
def reset_password(token: str):
    user = service.user_for_reset_token(token)
    if user is None:
        abort(400, "This reset link has expired or was already used. Ask for a new one.")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(user, form.password.data)
        except service.AccountError as error:
            form.password.errors.append(error.message)
            return render_template("auth/reset.html", form=form, token=token), 422
        record("password_reset", "account", user.id, actor=user)
        db.session.commit()
        flash("Your password has been changed. Log in with your new password.", "success")
        return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, token=token), status
