"""Privacy pages: the practitioner's audit log (/practice/audit), and a patient's export of all her data
(/account/export) and deletion of her account (/account/delete). Thin views over app/privacy."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from app.accounts.passwords import MAX_LENGTH
from app.billing.refunds import RefundError
from app.clock import utcnow
from app.database import writes
from app.extensions import db, limiter
from app.models.audit import record
from app.privacy import audit_log, erasure, export, retention
from app.scheduling.booking import BookingError
from app.scheduling.profiles import profile_for
from app.web import devices
from app.web.access import patient_required, practitioner_required, signed_in_user
from app.web.forms import TOO_LONG
from app.web.sessions import end_session
from app.web.timefmt import format_money

bp = Blueprint("privacy", __name__)


def _account_key() -> str:
    return f"account:{getattr(current_user, 'id', None)}"


# --- the audit log -----------------------------------------------------------------------------------

@bp.get("/practice/audit")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def audit():
    zone = profile_for(current_user).timezone
    try:
        chosen = audit_log.parse_filter(request.args, zone)
        number = audit_log.parse_page(request.args.get("page"))
    except audit_log.FilterError as error:
        return _audit_page(audit_log.AuditFilter(zone=zone), None, error.message), error.status
    if request.args.get("format") == "csv":
        text = audit_log.csv_text(chosen)
        record("export", "audit_log", actor=current_user, patient_id=chosen.patient_id, detail=chosen.as_args())
        db.session.commit()
        return Response(text, mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=audit-log.csv", "Cache-Control": "no-store"})
    return _audit_page(chosen, audit_log.page_of(chosen, number))


def _audit_page(chosen, page, error: str | None = None):
    return render_template("privacy/audit.html", chosen=chosen, page=page, error=error, zone=chosen.zone,
                           patients=audit_log.patient_choices(), args=chosen.as_args(),
                           detail_text=audit_log.detail_text, local_time=audit_log.local_time)


# --- export (GDPR Art. 20) ---------------------------------------------------------------------------

@bp.get("/account/export")
@patient_required
def export_page():
    return render_template("privacy/export.html")


@bp.post("/account/export")
@limiter.limit("10 per hour", key_func=_account_key)
@patient_required
def export_download():
    patient = signed_in_user()
    now = utcnow()
    bundle = export.collect(patient, base_url=current_app.config["BASE_URL"], now=now)
    record("export", "account_data", patient.id, actor=patient, patient_id=patient.id,
           detail={"lab_files": len(bundle.files)})
    db.session.commit()  # the record first; the archive is then written with no transaction open
    archive = export.write_zip(bundle, practice=current_app.config["PRACTICE_NAME"])
    size = archive.seek(0, 2)
    archive.seek(0)
    response = Response(_chunks(archive), mimetype="application/zip", direct_passthrough=True)
    response.call_on_close(archive.close)  # a download cut short still releases the temporary file
    response.content_length = size
    response.headers.set("Content-Disposition", "attachment", filename=f"homeostasis-data-{now:%Y-%m-%d}.zip")
    response.headers["Cache-Control"] = "no-store"
    return response


def _chunks(archive, size: int = 256 * 1024):
    try:
        while block := archive.read(size):
            yield block
    finally:
        archive.close()


# --- erasure (GDPR Art. 17) --------------------------------------------------------------------------

class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm."),
                                                          Length(max=MAX_LENGTH, message=TOO_LONG)])


@bp.route("/account/delete", methods=["GET", "POST"])
@limiter.limit("5 per minute", key_func=_account_key, methods=["POST"])
@patient_required
def delete_account():
    patient = signed_in_user()
    form = DeleteAccountForm()
    now = utcnow()
    if form.validate_on_submit():
        try:
            done = erasure.erase(patient, form.password.data, now=now)
        except erasure.ErasureError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
            return _delete_page(form, patient, now), error.status
        except (BookingError, RefundError) as error:
            db.session.rollback()
            abort(409, error.message)
        db.session.commit()
        end_session()
        erasure.after_erasure(done)
        refunded = ", ".join(format_money(amount, currency) for currency, amount in done.refunds_by_currency().items())
        flash("Your account has been deleted." + (
            f" Your appointments were cancelled and a refund of {refunded} is on its way." if refunded else ""),
            "success")
        response = redirect(url_for("privacy.account_deleted"), 303)
        devices.forget(response)  # this browser no longer vouches for an account that is gone
        return response
    return _delete_page(form, patient, now), 422 if form.is_submitted() else 200


def _delete_page(form, patient, now):
    return render_template("privacy/delete.html", form=form, cancellations=erasure.refund_preview(patient, now),
                           zone=patient.timezone, kept=retention.plan_for(patient, now))


@bp.get("/account/deleted")
def account_deleted():
    if current_user.is_authenticated:
        return redirect(url_for("account.home"))
    return render_template("privacy/deleted.html")
