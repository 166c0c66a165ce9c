"""Deleted patients' clinical records the practitioner must keep (/practice/retained): the list with each
record's end, her retention setting, one record with everything kept, its lab files, and early erasure with
a typed reason behind a confirmation. Only she sees them; every read writes an audit row in its one commit.
Thin views over app/privacy/retention.py."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import storage
from app.clock import utcnow
from app.database import writes
from app.extensions import db
from app.intake.questionnaire import get_questionnaire
from app.intake.summary import sections
from app.models.audit import record, record_many
from app.privacy import retention
from app.scheduling.profiles import profile_for
from app.web.access import practitioner_required
from app.web.intake import send_lab_file

bp = Blueprint("retained", __name__, url_prefix="/practice/retained")

KINDS = (("intake_responses", "intake version", "intake versions"), ("check_ins", "symptom check-in", "check-ins"),
         ("lab_files", "lab result file", "lab result files"), ("medication_plans", "medicine plan", "medicine plans"),
         ("appointments", "appointment", "appointments"), ("consultation_notes", "consultation note",
                                                           "consultation notes"),
         ("payments", "payment", "payments"))


def _record_or_404(record_id: int):
    kept = retention.record_of(profile_for(current_user), record_id)
    if kept is None:
        abort(404, "We couldn't find that record. It may have been purged at the end of its retention period.")
    return kept


@bp.get("")
@writes  # an audited read (and her profile may be made on a first visit)
@practitioner_required
def index():
    profile = profile_for(current_user)
    return _index_page(profile)


def _index_page(profile, error: str | None = None, years_value: str | None = None):
    records = retention.records_of(profile)
    page = render_template("privacy/retained_list.html", records=records, zone=profile.timezone,
                           years=profile.retention_years if years_value is None else years_value, error=error,
                           default_years=retention.DEFAULT_YEARS, low=retention.RETENTION_YEARS_MIN,
                           high=retention.RETENTION_YEARS_MAX, now=utcnow())
    record_many("view", "retained_record", [(r.id, r.former_user_id, {"page": "list"}) for r in records],
                actor=current_user)
    db.session.commit()
    return page


@bp.post("/settings")
@practitioner_required
def settings():
    profile = profile_for(current_user)
    raw = request.form.get("retention_years", "")
    try:
        years = retention.set_years(profile, raw)
    except retention.RetentionError as error:
        db.session.rollback()
        return _index_page(profile_for(current_user), error.message, raw[:10]), error.status
    record("update", "retention_setting", profile.id, actor=current_user, detail={"retention_years": years})
    db.session.commit()
    flash(f"Saved: clinical records of deleted accounts are kept for {years} years after the last visit "
          "from now on.", "success")
    return redirect(url_for("retained.index"), 303)


@bp.get("/<int:record_id>")
@writes  # an audited read
@practitioner_required
def show(record_id: int):
    profile = profile_for(current_user)
    kept = _record_or_404(record_id)
    found = retention.contents(kept)
    intakes = [(response, sections(get_questionnaire(response.questionnaire_version), response.answers))
               for response in found.intakes]
    page = render_template("privacy/retained_record.html", kept=kept, found=found, intakes=intakes,
                           zone=profile.timezone)
    record("view", "retained_record", kept.id, actor=current_user, patient_id=kept.former_user_id,
           detail={"page": "record", "intake_responses": [r.id for r in found.intakes],
                   "lab_files": [u.id for u in found.uploads],
                   "consultation_notes": [n.id for n in found.notes.values()]})
    db.session.commit()
    return page


@bp.get("/<int:record_id>/files/<int:upload_id>")
@writes  # an audited read
@practitioner_required
def lab_file(record_id: int, upload_id: int):
    kept = _record_or_404(record_id)
    upload = retention.upload_of(kept, upload_id)
    if upload is None:
        abort(404, "We couldn't find that file.")
    response = send_lab_file(upload)
    record("view", "lab_upload", upload.id, actor=current_user, patient_id=kept.former_user_id,
           detail={"retained_record": kept.id})
    db.session.commit()
    return response


@bp.post("/<int:record_id>/erase")
@practitioner_required
def erase(record_id: int):
    """First POST: what will go, and the reason to confirm (nothing changes). The confirmation's own submit
    (confirm=yes) erases."""
    profile = profile_for(current_user)
    kept = _record_or_404(record_id)
    reason = request.form.get("reason", "").strip()
    counts = retention.counts(kept)
    if len(reason) < retention.REASON_MIN or len(reason) > retention.REASON_MAX:
        message = (f"Keep the reason to {retention.REASON_MAX} characters." if len(reason) > retention.REASON_MAX
                   else f"Say why the record may be erased before its retention ends (at least "
                        f"{retention.REASON_MIN} characters): for example the law that allows it.")
        db.session.rollback()
        return _confirm_page(kept, counts, profile, reason[:retention.REASON_MAX], message), 422
    if request.form.get("confirm") != "yes":
        db.session.rollback()
        return _confirm_page(kept, counts, profile, reason)
    name = kept.full_name
    retention.erase_early(kept, reason, by=current_user)
    db.session.commit()
    storage.forget_deleted()
    flash(f"The record of {name} has been erased, with your reason in the audit log.", "success")
    return redirect(url_for("retained.index"), 303)


def _confirm_page(kept, counts, profile, reason: str, error: str | None = None):
    return render_template("privacy/retained_erase.html", kept=kept, counts=counts, kinds=KINDS, reason=reason,
                           error=error, zone=profile.timezone, low=retention.REASON_MIN, high=retention.REASON_MAX)
