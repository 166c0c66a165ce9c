"""The practitioner's side of "between visits": the acute-tryptase advice shown to a patient in a flare
(/practice/diary-settings) and a patient's medication plans (/practice/patients/<id>/medicines).

A patient is reachable only when she has (or had) an appointment with this practitioner
(app.intake.access), so another practice's patient is a 404. Reading the plans is audited.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.clock import utcnow
from app.database import writes
from app.diary import entries, medication, reminders
from app.extensions import db
from app.intake.access import patient_for_practitioner
from app.models.audit import record
from app.models.diary import FlareLabSettings, MedicationPlan
from app.scheduling.profiles import profile_for
from app.web.access import practitioner_required

bp = Blueprint("diary_practice", __name__, url_prefix="/practice")
MAX_TEXT = 2000


def _settings(profile_id: int) -> FlareLabSettings | None:
    return db.session.scalar(select(FlareLabSettings).where(FlareLabSettings.practitioner_id == profile_id))


@bp.route("/diary-settings", methods=["GET", "POST"])
@practitioner_required
def settings():
    profile = profile_for(current_user)
    current = _settings(profile.id)
    if request.method == "POST":
        order = str(request.form.get("lab_order") or "").strip()
        hours = str(request.form.get("lab_hours") or "").strip()
        errors = {name: f"Keep it under {MAX_TEXT} characters." for name, value in
                  (("lab_order", order), ("lab_hours", hours)) if len(value) > MAX_TEXT}
        if hours and not order:
            errors["lab_order"] = "Write the lab order too: patients see the hours only with it."
        if errors:
            return render_template("diary/practice_settings.html", settings=current, errors=errors,
                                   form=request.form), 422
        current = current or FlareLabSettings(practitioner_id=profile.id)
        current.lab_order, current.lab_hours, current.updated_at = order, hours, utcnow()
        db.session.add(current)
        db.session.commit()
        flash("Saved. Patients having a flare now see this advice." if order else
              "Saved. Patients having a flare see no lab advice.", "success")
        return redirect(url_for("diary_practice.settings"), 303)
    return render_template("diary/practice_settings.html", settings=current, errors={}, form={})


def _patient_or_404(patient_id: int):
    patient = patient_for_practitioner(current_user, patient_id)
    if patient is None:
        abort(404, "We couldn't find that patient.")
    return patient


def _plans_page(patient, *, status: int = 200, errors: dict | None = None):
    """The plans (an audited read), or after a refused change only the form and its errors: a refusal
    writes nothing, not even an audit record."""
    plans, alerts = [], []
    if not errors:
        plans, alerts = medication.plans_for(patient.id), reminders.current_alerts(patient, utcnow())
        record("view", "medication_plan", None, actor=current_user, patient_id=patient.id, detail={"plans": len(plans)})
        db.session.commit()
    return render_template("diary/practice_medicines.html", patient=patient, plans=plans, errors=errors or {},
                           form=request.form, alerts=alerts, refused=bool(errors)), status


@bp.get("/patients/<int:patient_id>/medicines")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def medicines(patient_id: int):
    return _plans_page(_patient_or_404(patient_id))


@bp.post("/patients/<int:patient_id>/medicines")
@practitioner_required
def add_plan(patient_id: int):
    patient = _patient_or_404(patient_id)
    now = utcnow()
    try:
        medication.create_plan(current_user, profile_for(current_user).id, patient, request.form, now=now)
    except entries.DiaryError as error:
        db.session.rollback()
        return _plans_page(patient, status=error.status, errors=error.errors)
    reminders.alert_practitioner(patient, now=now)
    db.session.commit()
    flash("Plan saved. The patient sees it in her medicine tracker.", "success")
    return redirect(url_for("diary_practice.medicines", patient_id=patient.id), 303)


@bp.post("/patients/<int:patient_id>/medicines/<int:plan_id>/stop")
@practitioner_required
def stop_plan(patient_id: int, plan_id: int):
    patient = _patient_or_404(patient_id)
    plan = db.session.get(MedicationPlan, plan_id)
    if plan is None or plan.patient_id != patient.id:
        abort(404, "We couldn't find that plan.")
    try:
        medication.stop_plan(current_user, plan, request.form,
                             today=utcnow().astimezone(entries.zone_of(patient)).date())
    except entries.DiaryError as error:
        db.session.rollback()
        return _plans_page(patient, status=error.status, errors=error.errors)
    db.session.commit()
    flash("Plan stopped.", "success")
    return redirect(url_for("diary_practice.medicines", patient_id=patient.id), 303)
