"""The diary, flares and medicines in the GDPR export (Art. 20), and their erasure (Art. 17).

Export: plain JSON rows plus HL7 FHIR R5 resources another system can read: each symptom entry is an
Observation (one component per organ system, 0-3), each food or exposure an Observation with its tags,
each tryptase result an Observation (LOINC 21582-4, ng/mL in UCUM), each flare an Observation with its
period, and each medicine plan and each taken / missed day a MedicationStatement (R5 `adherence`).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select

from app.diary import flares as flare_log
from app.diary import medication
from app.extensions import db
from app.intake.questionnaire import SYSTEMS
from app.models.accounts import User
from app.models.diary import (
    EXPOSURE,
    TAKEN,
    DiaryEntry,
    DiaryPreferences,
    Flare,
    MedicationLog,
    MedicationPlan,
    TryptaseResult,
)

SYSTEM_URL = "https://homeostasis.example/fhir/CodeSystem/diary"
TRYPTASE_LOINC = {"system": "http://loinc.org", "code": "21582-4",
                  "display": "Tryptase [Mass/volume] in Serum or Plasma"}
SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}
LABORATORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                          "code": "laboratory"}]}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def _code(code: str, text: str) -> dict:
    return {"coding": [{"system": SYSTEM_URL, "code": code}], "text": text}


def entry_observation(entry: DiaryEntry, patient_ref: str) -> dict:
    resource: dict = {"resourceType": "Observation", "id": f"diary-{entry.id}", "status": "final",
                      "category": [SURVEY], "subject": {"reference": patient_ref},
                      "effectiveDateTime": _iso(entry.occurred_at), "issued": _iso(entry.updated_at)}
    if entry.kind == EXPOSURE:
        resource["code"] = _code("exposure", "Food or exposure")
        if entry.text:
            resource["valueString"] = entry.text
        components = [{"code": _code(f"tag-{t}", t), "valueBoolean": True} for t in entry.tags]
        if entry.cycle_day:
            components.append({"code": _code("cycle-day", "Cycle day"), "valueInteger": entry.cycle_day})
    else:
        resource["code"] = _code("symptoms", "Symptom ratings by organ system (0-3)")
        components = [{"code": _code(f"system-{s}", SYSTEMS.get(s, s)), "valueInteger": int(v)}
                      for s, v in entry.ratings.items()]
    if components:
        resource["component"] = components
    if entry.note:
        resource["note"] = [{"text": entry.note}]
    return resource


def flare_observation(flare: Flare, patient_ref: str) -> dict:
    period = {"start": _iso(flare.onset_at)} | ({"end": _iso(flare.ended_at)} if flare.ended_at else {})
    resource = {"resourceType": "Observation", "id": f"flare-{flare.id}", "status": "final", "category": [SURVEY],
                "code": _code("flare", "Flare (patient-reported)"), "subject": {"reference": patient_ref},
                "effectivePeriod": period}
    if flare.note:
        resource["note"] = [{"text": flare.note}]
    return resource


def tryptase_observation(result: TryptaseResult, patient_ref: str) -> dict:
    return {"resourceType": "Observation", "id": f"tryptase-{result.id}", "status": "final",
            "category": [LABORATORY], "code": {"coding": [TRYPTASE_LOINC], "text": f"Tryptase ({result.kind})"},
            "subject": {"reference": patient_ref}, "effectiveDateTime": _iso(result.drawn_at),
            "valueQuantity": {"value": float(result.value_ng_ml), "unit": "ng/mL", "system": "http://unitsofmeasure.org",
                              "code": "ng/mL"},
            **({"focus": [{"reference": f"Observation/flare-{result.flare_id}"}]} if result.flare_id else {})}


def plan_statement(plan: MedicationPlan, patient_ref: str) -> dict:
    steps = medication.steps_of(plan)
    period = {"start": steps[0].starts.isoformat()} | ({"end": plan.stopped_on.isoformat()} if plan.stopped_on else {})
    return {"resourceType": "MedicationStatement", "id": f"medication-plan-{plan.id}",
            "status": "recorded", "medication": {"concept": {"text": plan.medicine + (
                f" ({plan.formulation})" if plan.formulation else "")}},
            "subject": {"reference": patient_ref}, "effectivePeriod": period, "dateAsserted": _iso(plan.created_at),
            "dosage": [{"text": f"From {s.starts.isoformat()}: {s.dose}"
                                + (f", {plan.instructions}" if plan.instructions else "")} for s in steps]}


def log_statement(log: MedicationLog, plan: MedicationPlan, patient_ref: str) -> dict:
    taken = log.status == TAKEN
    resource = {"resourceType": "MedicationStatement", "id": f"medication-log-{log.id}", "status": "recorded",
                "medication": {"concept": {"text": plan.medicine}}, "subject": {"reference": patient_ref},
                "effectiveDateTime": log.taken_on.isoformat(), "dateAsserted": _iso(log.created_at),
                "partOf": [{"reference": f"MedicationStatement/medication-plan-{plan.id}"}],
                "adherence": {"code": {"coding": [{
                    "system": "http://hl7.org/fhir/CodeSystem/medication-statement-adherence",
                    "code": "taking" if taken else "not-taking"}], "text": "Taken" if taken else "Missed"}}}
    if log.side_effects:
        resource["note"] = [{"text": f"Side effects: {log.side_effects}"}]
    return resource


def diary_export(patient: User) -> dict:
    """Everything of hers from the diary, flare log and tracker, as rows and FHIR resources."""
    ref = f"Patient/{patient.id}"
    rows = db.session.scalars(select(DiaryEntry).where(DiaryEntry.patient_id == patient.id)
                              .order_by(DiaryEntry.occurred_at)).all()
    flares = list(reversed(flare_log.flares_since(patient.id, datetime.min.replace(tzinfo=timezone.utc))))
    loose = db.session.scalars(select(TryptaseResult).where(TryptaseResult.patient_id == patient.id,
                                                            TryptaseResult.flare_id.is_(None))).all()
    plans = medication.plans_for(patient.id)
    prefs = db.session.get(DiaryPreferences, patient.id)
    return {
        "entries": [{"id": e.id, "kind": e.kind, "occurred_at": _iso(e.occurred_at), "text": e.text, "tags": e.tags,
                     "cycle_day": e.cycle_day, "ratings": e.ratings, "note": e.note, "written_at": _iso(e.created_at),
                     "observation": entry_observation(e, ref)} for e in rows],
        "flares": [{"id": f.id, "onset_at": _iso(f.onset_at), "ended_at": _iso(f.ended_at), "note": f.note,
                    "observation": flare_observation(f, ref),
                    "tryptase": [{"kind": r.kind, "value_ng_ml": str(r.value_ng_ml), "drawn_at": _iso(r.drawn_at),
                                  "observation": tryptase_observation(r, ref)} for r in f.tryptase]} for f in flares],
        "tryptase_without_flare": [{"kind": r.kind, "value_ng_ml": str(r.value_ng_ml), "drawn_at": _iso(r.drawn_at),
                                    "observation": tryptase_observation(r, ref)} for r in loose],
        "medicines": [{"medicine": p.medicine, "formulation": p.formulation, "steps": p.steps,
                       "stopped_on": p.stopped_on.isoformat() if p.stopped_on else None,
                       "medication_statement": plan_statement(p, ref),
                       "log": [{"day": log.taken_on.isoformat(), "status": log.status, "side_effects": log.side_effects,
                                "medication_statement": log_statement(log, p, ref)} for log in p.logs]} for p in plans],
        "answers": {"pregnant": prefs.pregnant, "takes_opioid": prefs.takes_opioid,
                    "evening_reminder": prefs.evening_reminder} if prefs else None,
    }


def erase_diary(patient: User, *, keep_plans: bool = False) -> dict[str, int]:
    """Delete her diary, flares, tryptase results, medicine logs and (unless the practitioner must keep them
    as her clinical record: app/privacy/retention.py) the medicine plans (children first)."""
    counts = {}
    models = (("medication_logs", MedicationLog), ("medication_plans", MedicationPlan),
              ("tryptase_results", TryptaseResult), ("flares", Flare), ("diary_entries", DiaryEntry),
              ("diary_preferences", DiaryPreferences))
    for name, model in models:
        if keep_plans and model is MedicationPlan:
            continue
        result = db.session.execute(delete(model).where(model.patient_id == patient.id))
        counts[name] = getattr(result, "rowcount", 0) or 0
    return counts
