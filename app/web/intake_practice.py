"""The practitioner's patients (/practice/patients): the list, and each patient's page — summary first,
then the full answers, the symptom trend, lab results, appointments and payments.

Every view of a patient's health data writes an audit row (who, whose, what, when) in the request's one
commit: the patient page, an intake version, a lab file, the FHIR export (api.py) and the visit summary
on the appointment page.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.billing.queries import patient_payments
from app.clock import utcnow
from app.database import writes
from app.diary.panel import practice_panel
from app.extensions import db
from app.intake import checkins, service, uploads
from app.intake.access import SEARCH_MAX, patient_appointments, patient_for_practitioner, patients_of
from app.intake.questionnaire import SYSTEMS, get_questionnaire
from app.intake.scoring import CRITERION_A_MESSAGE, CRITERION_A_NOT_ASSESSED, DISCLAIMER
from app.intake.summary import sections, summary
from app.models.audit import record, record_many
from app.models.intake import IntakeResponse, LabUpload
from app.scheduling.profiles import profile_for
from app.web.access import practitioner_required
from app.web.intake import send_lab_file

bp = Blueprint("patients", __name__, url_prefix="/practice/patients")
bp.add_app_template_filter(lambda key: SYSTEMS.get(key, key), "system_label")
NOT_A_DIAGNOSIS = "Scores summarise what the patient reported: not a diagnosis."


def _patient_or_404(patient_id: int):
    patient = patient_for_practitioner(current_user, patient_id)
    if patient is None:
        abort(404, "We couldn't find that patient.")
    return patient


@bp.get("")
@writes  # an audited read: the flags shown come from each patient's intake
@practitioner_required
def index():
    profile = profile_for(current_user)
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        abort(404)
    listing = patients_of(current_user, utcnow(), search=search, page=int(page))
    if not listing.rows and listing.page > 1:
        abort(404)
    page_html = render_template("intake/practice/patients.html", listing=listing, search=search,
                                zone=profile.timezone)
    # After rendering: the commit would expire the rows the page reads.
    record_many("view", "intake", [(row.intake_id, row.patient.id, {"page": "patients",
                                                                    "flags": [flag.key for flag in row.flags]})
                                   for row in listing.rows if row.intake_id is not None], actor=current_user)
    db.session.commit()
    return page_html


@bp.get("/<int:patient_id>")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def patient(patient_id: int):
    patient = _patient_or_404(patient_id)
    profile = profile_for(current_user)
    latest = service.latest_for_patient(patient.id)
    q = get_questionnaire(latest.questionnaire_version) if latest else None
    files = uploads.uploads_for(patient.id)
    record("view", "intake", latest.id if latest else None, actor=current_user, patient_id=patient.id,
           detail={"page": "patient", "version": latest.version if latest else None, "files": len(files)})
    diary = practice_panel(current_user, patient, profile.timezone, utcnow())  # records the diary read
    page = render_template(
        "intake/practice/patient.html", patient=patient, latest=latest, q=q,
        # q is there when latest is; her age (the under-18 flag) is counted on her own calendar day
        summary=summary(q, latest.answers, service.patient_today(patient, utcnow())) if latest and q else None,
        answer_sections=sections(q, latest.answers) if latest and q else [],
        responses=service.patient_responses(patient.id), trend=checkins.trend_view(patient.id, profile.timezone),
        check_ins=checkins.check_ins(patient.id), files=files, size_text=uploads.size_text,
        appointments=patient_appointments(current_user, patient.id), payments=patient_payments(patient),
        diary=diary, zone=profile.timezone, disclaimer=DISCLAIMER, criterion_a=CRITERION_A_MESSAGE,
        criterion_a_not_assessed=CRITERION_A_NOT_ASSESSED, not_a_diagnosis=NOT_A_DIAGNOSIS)
    db.session.commit()  # the audit rows, once the page is made (a commit would expire what it shows)
    return page


@bp.get("/<int:patient_id>/intake/<int:response_id>")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def version(patient_id: int, response_id: int):
    patient = _patient_or_404(patient_id)
    response = db.session.get(IntakeResponse, response_id)
    if response is None or response.patient_id != patient.id:
        abort(404, "We couldn't find that version of the intake.")
    record("view", "intake", response.id, actor=current_user, patient_id=patient.id,
           detail={"page": "version", "version": response.version})
    db.session.commit()
    q = get_questionnaire(response.questionnaire_version)
    previous = db.session.scalar(db.select(IntakeResponse).where(
        IntakeResponse.appointment_id == response.appointment_id,
        IntakeResponse.version == response.version - 1)) if response.appointment_id else None
    changed = service.changed_items(previous, response) if previous else []
    return render_template("intake/practice/version.html", patient=patient, response=response, q=q,
                           summary=summary(q, response.answers, service.patient_today(patient, utcnow())),
                           answer_sections=sections(q, response.answers),
                           changed=changed, previous=previous, zone=profile_for(current_user).timezone,
                           not_a_diagnosis=NOT_A_DIAGNOSIS, criterion_a=CRITERION_A_MESSAGE,
                           criterion_a_not_assessed=CRITERION_A_NOT_ASSESSED)


@bp.get("/<int:patient_id>/lab-results/<int:upload_id>")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def lab_file(patient_id: int, upload_id: int):
    patient = _patient_or_404(patient_id)
    upload = db.session.get(LabUpload, upload_id)
    if upload is None or upload.patient_id != patient.id:
        abort(404, "We couldn't find that file.")
    record("view", "lab_upload", upload.id, actor=current_user, patient_id=patient.id)
    db.session.commit()
    return send_lab_file(upload)
