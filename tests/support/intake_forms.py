"""Complete intake forms (questionnaires 2026.1 and 2026.2) and the FHIR constants the intake unit tests share."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.intake.answers import validate_step
from app.intake.questionnaire import get_questionnaire, symptom_items

Q = get_questionnaire("2026.1")  # the released version: its answers stay readable
BASE = "https://clinic.test"
AUTHORED = datetime(2026, 3, 15, 9, 30, tzinfo=timezone(timedelta(hours=1)))

COMPLETE_FORM = {
    "about": {"date_of_birth": "1984-06-01", "sex_at_birth": "female", "gender": "woman",
              "emergency_contact_name": "Sam Doe", "emergency_contact_phone": "020 7946 0000",
              "primary_care_doctor": "Dr Lee, High St Surgery", "heard_about_us": "friend"},
    "symptoms": {**{f"{it.link_id}.severity": str(i % 5) for i, it in
                    enumerate(symptom_items(Q))},
                 **{f"{it.link_id}.frequency": "never" if i % 5 == 0 else "weekly"
                    for i, it in enumerate(symptom_items(Q))}},
    "triggers": {"symptom_triggers": ["mould", "smells", "other"],
                 "symptom_triggers.detail": "Cold wind"},
    "history": {"diagnoses": ["mcas", "pots"], "past_anaphylaxis": "yes",
                "carries_epinephrine": "yes",
                "tryptase_results-0-value": "6.2", "tryptase_results-0-date": "2025-01-10",
                "tryptase_results-0-context": "baseline",
                "tryptase_results-1-value": "9.9", "tryptase_results-1-date": "2025-02-03",
                "tryptase_results-1-context": "flare",
                "medications-0-name": "Cetirizine", "medications-0-dose": "10 mg",
                "medications-0-timing": "morning", "medications-1-name": "Famotidine",
                "ldn_takes": "yes", "ldn_dose": "1.5", "ldn_timing": "bedtime",
                "antihistamines_h1": "Cetirizine", "antihistamines_h2": "Famotidine",
                "mast_cell_stabilisers": "Cromolyn", "supplements": "Quercetin\nVitamin C",
                "antihistamines_helped": "partly"},
    "lifestyle": {"low_histamine_diet": "now", "low_histamine_diet_effect": "a_little_better",
                  "sleep_quality": "poor", "stress_level": "high",
                  "exercise_tolerance": "triggers"},
    "goals": {"consultation_goals": "Fewer flares and a plan for travel"},
    "visit": {"visit_sensitivities": ["fragrance_free", "latex"],
              "visit_sensitivities.detail": "Please keep the room cool"},
}

# Questionnaire 2026.2 (the current version)
Q2 = get_questionnaire("2026.2")
COMPLETE_FORM_2 = {
    "about": COMPLETE_FORM["about"],
    "symptoms": {**{f"{it.link_id}.severity": str(i % 5) for i, it in enumerate(symptom_items(Q2))},
                 **{f"{it.link_id}.frequency": "never" if i % 5 == 0 else "weekly"
                    for i, it in enumerate(symptom_items(Q2))}},
    "reactions": {"episodes_sudden_together": "yes", "past_anaphylaxis": "yes", "anaphylaxis_count": "2",
                  "anaphylaxis_last_date": "2025-06-01", "anaphylaxis_cause_found": "yes",
                  "anaphylaxis_cause": "Wasp sting", "carries_epinephrine": "no", "has_allergies": "yes",
                  "allergies-0-kind": "venom", "allergies-0-substance": "Wasp",
                  "allergies-0-reaction": "Anaphylaxis", "allergies-1-kind": "drug",
                  "allergies-1-substance": "Penicillin", "allergies-1-reaction": "Hives",
                  "family_history": ["hat", "allergy"], "family_history.detail": "Mother"},
    "triggers": {"symptom_triggers": ["alcohol", "insect_stings"]},
    "history": {"diagnoses": ["mcas"], "pregnancy": ["planning"], "weight_loss_unintended": "yes"},
    "medicines": {"medications-0-name": "Bisoprolol", "opioid_use": "not_sure",
                  "heart_bp_medicines": ["beta_blocker"], "heart_bp_medicines.detail": "Bisoprolol 2.5 mg",
                  "mcas_medicines": ["ketotifen", "ppi"], "supplements_taken": ["quercetin", "dao"],
                  "ldn_takes": "yes", "ldn_formulation": "liquid", "ldn_concentration": "1",
                  "ldn_dose": "0.05", "ldn_timing": "bedtime", "ldn_start_date": "2025-12-01",
                  "ldn_titration": "0.01 mg, up 0.01 mg a week", "ldn_side_effects": ["vivid_dreams"],
                  "ldn_response": "too_early"},
    "tests": {"tryptase_baseline": "5", "tryptase_baseline_date": "2025-01-01", "tryptase_acute": "9.5",
              "tryptase_acute_date": "2025-06-01", "tryptase_acute_hours": "2",
              "other_tests-0-test": "chromogranin_a", "other_tests-0-value": "150",
              "other_tests-0-unit": "ng/mL", "other_tests-0-raised": "raised", "other_tests-0-ppi": "yes",
              "other_tests-1-test": "lte4", "other_tests-1-value": "180", "other_tests-1-unit": "pg/mg Cr"},
    "lifestyle": {"low_histamine_diet": "no"},
    "goals": COMPLETE_FORM["goals"],
    "visit": COMPLETE_FORM["visit"],
}


def complete_answers_2():
    answers = {}
    for step, raw in COMPLETE_FORM_2.items():
        clean, errors = validate_step(Q2, step, raw, today=date(2026, 3, 15), saved=answers)
        assert errors == {}, (step, errors)
        answers.update(clean)
    return answers


ANSWERS_2 = complete_answers_2()


# The practitioner-view tests' known answers: skin 9 of 20 (hives 4, flushing 3, itching 2), digestion 5 of 24
# (pain 3, nausea 2), palpitations rated 1 (heart 1 of 16, not involved). Total 15 of 112 = 13.4%.
ANSWERS = {
    "about": {"date_of_birth": "1984-06-01", "sex_at_birth": "female", "emergency_contact_name": "Sam Doe",
              "emergency_contact_phone": "+44 20 7946 0000"},
    "symptoms": {"sym_skin_hives.severity": "4", "sym_skin_hives.frequency": "daily",
                 "sym_skin_flushing.severity": "3", "sym_skin_flushing.frequency": "weekly",
                 "sym_skin_itching.severity": "2", "sym_skin_itching.frequency": "weekly",
                 "sym_gi_pain.severity": "3", "sym_gi_pain.frequency": "weekly",
                 "sym_gi_nausea.severity": "2", "sym_gi_nausea.frequency": "monthly",
                 "sym_cv_palpitations.severity": "1", "sym_cv_palpitations.frequency": "monthly"},
    "triggers": {"symptom_triggers": ["mould", "smells"], "symptom_triggers.detail": "Perfume in lifts"},
    "reactions": {"episodes_sudden_together": "yes", "past_anaphylaxis": "yes", "carries_epinephrine": "no",
                  "has_allergies": "no"},
    "history": {"diagnoses": ["mcas"], "liver_kidney": ["none"]},
    "medicines": {"opioid_use": "no", "opioid_recent": "no", "heart_bp_medicines": ["neither"], "ldn_takes": "yes",
                  "ldn_dose": "1.5",
                  "ldn_timing": "bedtime", "medications-0-name": "Cetirizine", "medications-0-dose": "10 mg",
                  "medications-0-timing": "morning"},
    "tests": {"tryptase_baseline": "6.2", "tryptase_baseline_date": "2025-01-10"},
    "lifestyle": {"low_histamine_diet": "no"},
    "goals": {"consultation_goals": "Fewer flares"},
    "visit": {"visit_sensitivities": ["fragrance_free", "latex"], "visit_sensitivities.detail": "Cool room"},
}
