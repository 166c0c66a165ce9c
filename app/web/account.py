"""The patient's home (/account), profile and password."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.accounts import service
from app.extensions import db
from app.models.audit import record
from app.web.forms import ChangePasswordForm, ProfileForm, zone_names
from app.web.sessions import current_session_token

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@login_required
def home():
    if current_user.is_practitioner:
        return redirect(url_for("practice.agenda"))
    return render_template("account/home.html")


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.full_name = form.full_name.data.strip()
        current_user.timezone = form.timezone.data
        current_user.email_opt_out = form.email_opt_out.data
        record("update", "profile", current_user.id, actor=current_user,
               patient_id=current_user.id if current_user.is_patient else None)
        db.session.commit()
        flash("Your profile has been saved.", "success")
        return redirect(url_for("account.profile"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/profile.html", form=form, zones=zone_names()), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data,
                                    keep_session=current_session_token())
        except service.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
            return render_template("account/password.html", form=form), 422
        record("password_change", "account", current_user.id, actor=current_user)
        db.session.commit()
        flash("Your password has been changed. Other devices have been signed out.", "success")
        return redirect(url_for("account.home"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status
