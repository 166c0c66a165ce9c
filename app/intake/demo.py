"""Demo intake data for the demo patient (`flask seed-demo`, development only): a completed intake for her
initial consultation and a few earlier symptom check-ins, so the practitioner's patient page and the trend
chart have something to show."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.intake import service
from app.intake.answers import Raw, validate_step
from app.intake.questionnaire import SYMPTOM_STEP, get_questionnaire
from app.models.accounts import User
from app.models.intake import SymptomCheckIn
from app.models.scheduling import Appointment, ConsultationType

ANSWERS: dict[str, Raw] = {
    "about": {"date_of_birth": "1988-04-12", "sex_at_birth": "female", "gender": "Woman",
              "emergency_contact_name": "Alex Rivers", "emergency_contact_phone": "+44 20 7946 0123",
              "primary_care_doctor": "Dr Patel, Riverside Surgery", "heard_about_us": "article"},
    "symptoms": {"sym_skin_hives.severity": "3", "sym_skin_hives.frequency": "weekly",
                 "sym_skin_flushing.severity": "3", "sym_skin_flushing.frequency": "daily",
                 "sym_skin_itching.severity": "2", "sym_skin_itching.frequency": "daily",
                 "sym_cv_orthostatic.severity": "2", "sym_cv_orthostatic.frequency": "weekly",
                 "sym_cv_palpitations.severity": "1", "sym_cv_palpitations.frequency": "monthly",
                 "sym_resp_rhinitis.severity": "2", "sym_resp_rhinitis.frequency": "daily",
                 "sym_gi_pain.severity": "2", "sym_gi_pain.frequency": "weekly",
                 "sym_gi_reflux.severity": "3", "sym_gi_reflux.frequency": "daily",
                 "sym_neuro_brain_fog.severity": "3", "sym_neuro_brain_fog.frequency": "daily",
                 "sym_neuro_headache.severity": "2", "sym_neuro_headache.frequency": "weekly",
                 "sym_const_fatigue.severity": "3", "sym_const_fatigue.frequency": "daily",
                 "sym_msk_pain.severity": "1", "sym_msk_pain.frequency": "weekly"},
    "reactions": {"episodes_sudden_together": "yes", "past_anaphylaxis": "no", "carries_epinephrine": "yes",
                  "has_allergies": "yes", "allergies-0-kind": "drug", "allergies-0-substance": "Amoxicillin",
                  "allergies-0-reaction": "Hives and swollen lips", "family_history": ["allergy"]},
    "triggers": {"symptom_triggers": ["allergens", "alcohol", "smells", "stress", "hormonal"],
                 "symptom_triggers.detail": "Leftovers, red wine and aged cheese; perfume on the train"},
    "history": {"diagnoses": ["histamine_intolerance", "eds_hypermobility"], "pregnancy": ["none"],
                "weight_loss_unintended": "no", "liver_kidney": ["none"], "mastocytosis_signs": ["none"]},
    "medicines": {"medications-0-name": "Cetirizine", "medications-0-dose": "10 mg",
                  "medications-0-timing": "Morning and evening", "medications-1-name": "Famotidine",
                  "medications-1-dose": "20 mg", "medications-1-timing": "Evening",
                  "opioid_use": "no", "opioid_recent": "no", "heart_bp_medicines": ["neither"],
                  "ldn_takes": "yes", "ldn_formulation": "ir_capsule", "ldn_dose": "1.5", "ldn_timing": "bedtime",
                  "ldn_start_date": "2025-10-01", "ldn_side_effects": ["vivid_dreams"],
                  "ldn_response": "a_little_better", "antihistamines_h1": "Cetirizine",
                  "antihistamines_h2": "Famotidine", "supplements_taken": ["quercetin", "vitamin_c"],
                  "antihistamines_helped": "partly"},
    "tests": {"tryptase_baseline": "7.1", "tryptase_baseline_date": "2025-09-02"},
    "lifestyle": {"low_histamine_diet": "now", "low_histamine_diet_effect": "a_little_better",
                  "sleep_quality": "poor", "stress_level": "high", "exercise_tolerance": "reduced"},
    "goals": {"consultation_goals": "Understand my triggers and get fewer flares before a long trip."},
    "visit": {"visit_sensitivities": ["fragrance_free", "temperature"],
              "visit_sensitivities.detail": "Heat sets off flushing: a cool room, please."},
}
# Earlier check-ins, weeks before the intake, as a change to each severity the intake reports.
CHECK_INS = ((9, +1), (5, 0), (2, -1))


def seed_demo_intake(patient: User, follow_up: ConsultationType) -> None:
    follow_up.intake_required = False  # a follow-up asks for a symptom check-in instead of the full intake
    now = utcnow()
    q = get_questionnaire()
    reported = ANSWERS[SYMPTOM_STEP]
    for weeks, change in CHECK_INS:
        raw = {key: str(max(0, min(4, int(value) + change)))
               if key.endswith(".severity") and isinstance(value, str) else value  # severities are one code each
               for key, value in reported.items()}
        raw = {key: value for key, value in raw.items()
               if not (key.endswith(".frequency") and raw[key.replace(".frequency", ".severity")] == "0")}
        clean, errors = validate_step(q, SYMPTOM_STEP, raw, today=now.date())
        if errors:
            raise ValueError(f"demo check-in does not validate: {errors}")
        db.session.add(SymptomCheckIn(patient_id=patient.id, questionnaire_version=q.version, answers=clean,
                                      created_at=now - timedelta(weeks=weeks)))
    initial = db.session.scalar(select(Appointment).join(Appointment.consultation_type).where(
        Appointment.patient_id == patient.id, ConsultationType.intake_required.is_(True))
        .order_by(Appointment.starts_at).limit(1))
    if initial is not None:
        for step, answers in ANSWERS.items():
            service.save_step(initial, step, answers, now=now)
