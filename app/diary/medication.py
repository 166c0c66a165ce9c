"""The medication tracker: the practitioner's plan (dose steps over dates), the patient's taken / missed
log with side effects, adherence, and the safety alerts the practitioner must see.

Alerts. Naltrexone, even at low dose, is an opioid antagonist: with an opioid it blocks pain relief and can
bring on withdrawal (BNF, "Naltrexone hydrochloride": interactions and cautions,
https://bnf.nice.org.uk/drugs/naltrexone-hydrochloride/). Pregnancy: LDN is off-label with little safety
data in pregnancy (the BNF entry: use only if the benefit outweighs the risk), and any plan needs review
when a patient is or may be pregnant (the practice's LDN notes: "always discuss with your doctor").
Opioids are matched by name, generic or brand, from the maintained list in app/data/opioids.txt (BNF opioid
analgesics and opioid dependence, naltrexone SmPC 4.5; ``app.clinical.medicines``), in other plans and in her
intake's free-text medicines; her intake answers count too ("an opioid painkiller now", "an opioid in the
last 7-10 days", "pregnant, breastfeeding or planning a pregnancy"). Alerts are checked when a plan is
created, when she answers the tracker's questions and when she saves her intake's medicines or history.

Dose range (issue 23: a plan of 45 mg was accepted): every step of a low-dose naltrexone plan is between
``LDN_DOSE_RANGE`` mg, 0.1 to 4.5 mg a day (LDN Research Trust prescriber information; Toljan K, Vrooman B,
Med Sci 2018;6:82: low dose is up to 4.5 mg; ultra-low starting doses for mast-cell patients go down to
0.1 mg). 50 mg is the full opioid-blocking dose, not LDN.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clinical.medicines import opioids_in
from app.diary.entries import DiaryError
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.diary import MISSED, TAKEN, DiaryPreferences, MedicationLog, MedicationPlan

MAX_STEPS = 24
ANSWERS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}
LDN_NAMES = ("naltrexone", "ldn")
LDN_DOSE_RANGE = (Decimal("0.1"), Decimal("4.5"))  # mg a day (module docstring)
_DOSE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mg|milligrams?|micrograms?|mcg|µg|ug)\b", re.IGNORECASE)
PREGNANCY_ANSWERS = {"pregnant": "is pregnant", "breastfeeding": "is breastfeeding",
                     "planning": "is planning a pregnancy"}
_STEP = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*[,:;]?\s*(.+?)\s*$")


@dataclass(frozen=True)
class Step:
    starts: date
    dose: str


@dataclass(frozen=True)
class Alert:
    kind: str  # "ldn_opioid", "pregnancy"
    text: str


@dataclass(frozen=True)
class Change:
    """A start, dose change or stop, as drawn on the trend."""

    on: date
    medicine: str
    text: str


def parse_steps(text: str) -> list[Step]:
    """One step per line: ``YYYY-MM-DD dose`` (e.g. ``2026-12-01 0.5 mg``), dates increasing."""
    steps: list[Step] = []
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise DiaryError({"steps": "Enter at least one dose step: a start date and a dose."})
    if len(lines) > MAX_STEPS:
        raise DiaryError({"steps": f"Up to {MAX_STEPS} dose steps."})
    for n, line in enumerate(lines, 1):
        match = _STEP.match(line)
        try:
            starts = date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            starts = None
        if match is None or starts is None or len(match.group(2)) > 60:
            raise DiaryError({"steps": f"Line {n}: write a date then the dose, like 2026-12-01 0.5 mg."})
        if steps and starts <= steps[-1].starts:
            raise DiaryError({"steps": f"Line {n}: each step starts after the one before."})
        steps.append(Step(starts, match.group(2)))
    return steps


def steps_of(plan: MedicationPlan) -> list[Step]:
    return [Step(date.fromisoformat(s["from"]), s["dose"]) for s in plan.steps]


def dose_on(plan: MedicationPlan, day: date) -> str | None:
    if plan.stopped_on is not None and day >= plan.stopped_on:
        return None
    current = None
    for step in steps_of(plan):
        if step.starts <= day:
            current = step.dose
    return current


def is_ldn(plan: MedicationPlan) -> bool:
    name = plan.medicine.lower()
    return any(n in name for n in LDN_NAMES)


def _mentions_opioid(text: str) -> bool:
    return bool(opioids_in(text))


def check_ldn_doses(steps: list[Step]) -> None:
    """Every step of an LDN plan is a dose in mg (or micrograms) within LDN_DOSE_RANGE. Raises DiaryError."""
    low, high = LDN_DOSE_RANGE
    for n, step in enumerate(steps, 1):
        match = _DOSE.match(step.dose)
        if match is None:
            raise DiaryError({"steps": f"Line {n}: write the low-dose naltrexone dose in mg, like 1.5 mg."})
        value = Decimal(match.group(1).replace(",", "."))
        if not match.group(2).lower().startswith(("mg", "milligram")):
            value = value / 1000
        if not low <= value <= high:
            raise DiaryError({"steps": f"Line {n}: {step.dose} is outside the low-dose naltrexone range, {low} to "
                                       f"{high} mg a day (50 mg is the full opioid-blocking dose, not LDN). "
                                       "Check the dose."})


def _selected(answers: Mapping, link_id: str) -> list[str]:
    value = answers.get(link_id)
    return [str(c) for c in value.get("selected", [])] if isinstance(value, Mapping) else []


def alerts(plans: Iterable[MedicationPlan], prefs: DiaryPreferences | None, intake_answers: Mapping | None,
           today: date) -> list[Alert]:
    """Pure over its inputs: the active plans, her tracker answers and her latest intake answers."""
    active = [p for p in plans if p.stopped_on is None or p.stopped_on > today]
    found: list[Alert] = []
    ldn = [p for p in active if is_ldn(p)]
    listed = [str(row.get("name", "")) for row in (intake_answers or {}).get("medications") or []
              if isinstance(row, Mapping)]
    answers = intake_answers or {}
    opioid_sources = [p.medicine for p in active if not is_ldn(p) and _mentions_opioid(p.medicine)]
    opioid_sources += [name for name in listed if _mentions_opioid(name)]
    if prefs is not None and prefs.takes_opioid in ("yes", "unsure"):
        opioid_sources.append("her answer in the tracker" + (" (not sure)" if prefs.takes_opioid == "unsure" else ""))
    for key, what in (("opioid_use", "an opioid painkiller now"), ("opioid_recent", "an opioid in the last 7-10 days")):
        if answers.get(key) in ("yes", "not_sure"):
            opioid_sources.append(f"her intake answer: {what}" + (" (not sure)" if answers[key] == "not_sure" else ""))
    if ldn and opioid_sources:
        found.append(Alert("ldn_opioid", "Low-dose naltrexone with an opioid (" + ", ".join(opioid_sources) +
                           "): naltrexone blocks opioids and can bring on withdrawal. Review the plan."))
    which = None
    if prefs is not None and prefs.pregnant in ("yes", "unsure"):
        which = "is pregnant" if prefs.pregnant == "yes" else "may be pregnant (not sure)"
    else:
        said = [PREGNANCY_ANSWERS[c] for c in _selected(answers, "pregnancy") if c in PREGNANCY_ANSWERS]
        which = " and ".join(said) + " (her intake)" if said else None
    if active and which:
        found.append(Alert("pregnancy", f"She {which}, with {len(active)} active medication plan"
                           f"{'s' if len(active) != 1 else ''}" + (" including low-dose naltrexone" if ldn else "")
                           + ". Review the plan."))
    return found


def changes(plans: Iterable[MedicationPlan]) -> list[Change]:
    out = []
    for plan in plans:
        steps = steps_of(plan)
        for n, step in enumerate(steps):
            out.append(Change(step.starts, plan.medicine,
                              f"{'Start' if n == 0 else 'Dose'} {plan.medicine} {step.dose}"))
        if plan.stopped_on:
            out.append(Change(plan.stopped_on, plan.medicine, f"Stop {plan.medicine}"))
    return sorted(out, key=lambda c: (c.on, c.text))


@dataclass(frozen=True)
class Adherence:
    taken: int
    missed: int
    unrecorded: int

    @property
    def text(self) -> str:
        return f"taken {self.taken}, missed {self.missed}, not recorded {self.unrecorded}"


def adherence(plan: MedicationPlan, first: date, last: date) -> Adherence:
    """Days in [first, last] on which the plan had a dose, by what she logged."""
    logs = {log.taken_on: log.status for log in plan.logs}
    taken = missed = unrecorded = 0
    day = first
    while day <= last:
        if dose_on(plan, day) is not None:
            status = logs.get(day)
            taken += status == TAKEN
            missed += status == MISSED
            unrecorded += status is None
        day += timedelta(days=1)
    return Adherence(taken, missed, unrecorded)


# --- storage ---------------------------------------------------------------------------------------

def plans_for(patient_id: int) -> list[MedicationPlan]:
    return list(db.session.scalars(select(MedicationPlan).options(selectinload(MedicationPlan.logs))
                                   .where(MedicationPlan.patient_id == patient_id)
                                   .order_by(MedicationPlan.created_at, MedicationPlan.id)))


def create_plan(practitioner: User, profile_id: int, patient: User, form: Mapping[str, Any], *,
                now: datetime) -> MedicationPlan:
    errors: dict[str, str] = {}
    medicine = " ".join(str(form.get("medicine") or "").split())
    formulation = " ".join(str(form.get("formulation") or "").split())
    instructions = str(form.get("instructions") or "").strip()
    if not medicine or len(medicine) > 120:
        errors["medicine"] = "Name the medicine (up to 120 characters)."
    if len(formulation) > 120:
        errors["formulation"] = "Keep the formulation under 120 characters."
    if len(instructions) > 500:
        errors["instructions"] = "Keep the instructions under 500 characters."
    try:
        steps = parse_steps(str(form.get("steps") or ""))
        if any(n in medicine.lower() for n in LDN_NAMES):
            check_ldn_doses(steps)
    except DiaryError as error:
        errors.update(error.errors)
        steps = []
    if errors:
        raise DiaryError(errors)
    plan = MedicationPlan(patient_id=patient.id, practitioner_id=profile_id, medicine=medicine,
                          formulation=formulation, instructions=instructions, created_at=now,
                          steps=[{"from": s.starts.isoformat(), "dose": s.dose} for s in steps])
    db.session.add(plan)
    db.session.flush()
    record("create", "medication_plan", plan.id, actor=practitioner, patient_id=patient.id)
    return plan


def stop_plan(practitioner: User, plan: MedicationPlan, form: Mapping[str, Any], *, today: date) -> None:
    if plan.stopped_on is not None:
        raise DiaryError({"stopped_on": "This plan has already been stopped."}, status=409)
    raw = str(form.get("stopped_on") or "").strip()
    try:
        day = date.fromisoformat(raw) if raw else today
    except ValueError:
        raise DiaryError({"stopped_on": "Enter the date like 2026-12-31."}) from None
    if day < steps_of(plan)[0].starts:
        raise DiaryError({"stopped_on": "A plan stops on or after the day it starts."})
    plan.stopped_on = day
    record("update", "medication_plan", plan.id, actor=practitioner, patient_id=plan.patient_id,
           detail={"stopped": True})


def own_plan(patient: User, plan_id: int) -> MedicationPlan | None:
    return db.session.scalar(select(MedicationPlan).where(MedicationPlan.id == plan_id,
                                                          MedicationPlan.patient_id == patient.id))


def log_dose(patient: User, plan: MedicationPlan, form: Mapping[str, Any], *, today: date,
             now: datetime) -> MedicationLog:
    """Taken or missed for one day (today by default, up to 14 days back); a second log replaces it."""
    errors: dict[str, str] = {}
    status = str(form.get("status") or "")
    if status not in (TAKEN, MISSED):
        errors["status"] = "Choose taken or missed."
    side_effects = str(form.get("side_effects") or "").strip()
    if len(side_effects) > 500:
        errors["side_effects"] = "Keep side effects under 500 characters."
    raw = str(form.get("day") or "").strip()
    try:
        day = date.fromisoformat(raw) if raw else today
        if day > today or day < today - timedelta(days=14):
            errors["day"] = "Choose a day in the last 14 days."
        elif dose_on(plan, day) is None:
            errors["day"] = "The plan has no dose on that day."
    except ValueError:
        errors["day"] = "Enter the date like 2026-12-31."
        day = today
    if errors:
        raise DiaryError(errors)
    log = db.session.scalar(select(MedicationLog).where(MedicationLog.plan_id == plan.id,
                                                        MedicationLog.taken_on == day))
    if log is None:
        log = MedicationLog(plan_id=plan.id, patient_id=patient.id, taken_on=day, created_at=now)
        db.session.add(log)
    log.status, log.side_effects = status, side_effects
    db.session.flush()
    record("create", "medication_log", log.id, actor=patient, patient_id=patient.id)
    return log


def preferences(patient_id: int) -> DiaryPreferences | None:
    return db.session.get(DiaryPreferences, patient_id)


def save_answers(patient: User, form: Mapping[str, Any], *, now: datetime) -> DiaryPreferences:
    errors = {name: "Choose yes, no or not sure." for name in ("pregnant", "takes_opioid")
              if form.get(name) not in ANSWERS}
    if errors:
        raise DiaryError(errors)
    prefs = preferences(patient.id) or DiaryPreferences(patient_id=patient.id)
    prefs.pregnant, prefs.takes_opioid, prefs.updated_at = form.get("pregnant"), form.get("takes_opioid"), now
    db.session.add(prefs)
    record("update", "medication_answers", patient.id, actor=patient, patient_id=patient.id)
    return prefs
