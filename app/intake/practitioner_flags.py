"""Practitioner flags: intake answers that change what is safe, shown first on the summary. (The
emergency screen a patient answers before booking is another thing: ``app.intake.red_flags``.)

Pure: shown answers (``enabled_answers``) in, flags out. Sources (docs/CLINICAL_SOURCES.md,
"Intake questionnaire"):

* Opioids with naltrexone (LDN): contraindicated — naltrexone SmPC section 4.3 (eMC).
* Beta-blockers make anaphylaxis more severe and less responsive to adrenaline; ACE inhibitors
  are associated with more severe reactions: WAO anaphylaxis guidance 2020 (Cardona et al.,
  World Allergy Organ J 13:100472); Resuscitation Council UK anaphylaxis guideline 2021.
* Past anaphylaxis and no adrenaline auto-injector: NICE CG134 and the MHRA advise that people at
  risk of anaphylaxis are prescribed (two) auto-injectors; Anaphylaxis UK.
* Unintended weight loss is an alarm symptom: NICE NG12.
* The tryptase rise: ``app.clinical.tryptase`` (consensus 20% + 2 ng/mL, Valent et al.); a baseline above
  20 ng/mL (WHO minor criterion for systemic mastocytosis) or of 8 or more (hereditary alpha-tryptasemia,
  Chovanec 2021): ``app.clinical.tryptase.baseline_flags``.
* Opioids named in her free-text medicines: ``app.clinical.medicines`` (BNF + naltrexone SmPC list).
* Weight loss rated very severe (4 of 4): an alarm symptom like unintended weight loss (NICE NG12).
* 2026.3: liver disease (naltrexone SmPC 4.3: contraindicated in severe hepatic impairment; 4.4 caution
  in hepatic and renal impairment), opioids in the last 7-10 days (SmPC 4.4: opioid-free for 7-10 days
  before naltrexone), mastocytosis red flags (WHO criteria; Valent et al. 2019: osteoporosis or fractures,
  persistent skin lesions, hepatosplenomegaly, a KIT D816V or bone-marrow test), under 18 (SmPC 4.2: not
  recommended under 18).

Two views of the same answers: ``practitioner_flags`` (what needs attention, shown first) and
``safety_checks`` (every safety item as yes / not sure / no / not asked / not answered), so that a
questionnaire version that never asked, or a blank, never reads as "nothing flagged" (issue 23).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from app.clinical.medicines import opioids_in
from app.clinical.tryptase import TryptaseRise, assess_rise, baseline_flags
from app.intake.answers import ADULT_AGE, age_on
from app.intake.questionnaire import Questionnaire, iter_items

VERY_SEVERE = 4
# 2026.3: mastocytosis red flags (multi item "mastocytosis_signs"), by code.
MASTOCYTOSIS_SIGNS = {
    "fractures": "fractures or osteoporosis",
    "skin_spots": "persistent skin spots",
    "liver_spleen": "an enlarged liver or spleen",
    "kit_test": "a previous bone-marrow or KIT D816V test",
}

PREGNANCY = {"pregnant": "Pregnant", "breastfeeding": "Breastfeeding", "planning": "Planning a pregnancy"}
NO_AUTO_INJECTOR_PATIENT = (
    "You told us you have had anaphylaxis but do not carry an adrenaline auto-injector. Please ask your "
    "doctor whether you should have one (people at risk are usually prescribed two). The practitioner "
    "will see this too."
)


@dataclass(frozen=True)
class Flag:
    key: str  # stable, for tests and styling: "opioid", "beta_blocker_ace", ...
    text: str


def no_auto_injector(shown: Mapping[str, Any]) -> bool:
    """Past anaphylaxis and, explicitly, no auto-injector (an unanswered question is not a no)."""
    return shown.get("past_anaphylaxis") is True and shown.get("carries_epinephrine") is False


def _selected(shown: Mapping[str, Any], link_id: str) -> list[str]:
    value = shown.get(link_id)
    return list(value.get("selected", [])) if isinstance(value, Mapping) else []


def tryptase_rise(shown: Mapping[str, Any]) -> TryptaseRise | None:
    """The 20% + 2 rule from the structured items (2026.2) or, for 2026.1, the most recent baseline
    and flare rows of the tryptase table. None without both values."""
    baseline, acute = shown.get("tryptase_baseline"), shown.get("tryptase_acute")
    hours = shown.get("tryptase_acute_hours")
    if baseline is None or acute is None:
        rows = sorted(shown.get("tryptase_results") or [], key=lambda r: r.get("date", ""))
        base_rows = [r for r in rows if r.get("context") == "baseline"]
        flare_rows = [r for r in rows if r.get("context") == "flare"]
        if not (base_rows and flare_rows):
            return None
        baseline, acute, hours = base_rows[-1]["value"], flare_rows[-1]["value"], None
    # "5", not "5.0": the figures read as the patient entered them.
    return assess_rise(f"{baseline:g}", f"{acute:g}", None if hours is None else f"{hours:g}")


def listed_opioids(shown: Mapping[str, Any]) -> list[str]:
    """Her free-text medicines (every version's "Current medications") that name an opioid, as she wrote them."""
    rows = shown.get("medications") or []
    names = [str(row.get("name", "")) for row in rows if isinstance(row, Mapping)]
    return [name for name in names if opioids_in(name)]


def baseline_tryptase(shown: Mapping[str, Any]) -> float | None:
    """The structured baseline (2026.2+) or the latest baseline row of the 2026.1 table."""
    if shown.get("tryptase_baseline") is not None:
        return float(shown["tryptase_baseline"])
    rows = sorted((r for r in shown.get("tryptase_results") or [] if r.get("context") == "baseline"),
                  key=lambda r: r.get("date", ""))
    return float(rows[-1]["value"]) if rows else None


def _weight_loss_very_severe(shown: Mapping[str, Any]) -> bool:
    value = shown.get("sym_const_weight_loss")
    return isinstance(value, Mapping) and value.get("severity") == VERY_SEVERE


def practitioner_flags(shown: Mapping[str, Any], today: date | None = None) -> tuple[Flag, ...]:
    """In the order the summary shows them; an empty tuple when nothing needs attention. ``today`` (her
    age) is needed for the under-18 flag only."""
    flags: list[Flag] = []
    opioid = shown.get("opioid_use")
    listed = listed_opioids(shown)
    in_list = f" Named in her medicines: {', '.join(listed)}." if listed else ""
    if opioid == "yes":
        flags.append(Flag("opioid", "Takes an opioid now: naltrexone (LDN) is contraindicated with opioids." + in_list))
    elif listed:
        flags.append(Flag("opioid", "An opioid is named in her medicines (" + ", ".join(listed) + "): naltrexone "
                          "(LDN) is contraindicated with opioids."))
    elif opioid == "not_sure":
        flags.append(Flag("opioid", "Not sure whether she takes an opioid: check before any naltrexone (LDN)."))
    recent = shown.get("opioid_recent")
    if recent in ("yes", "not_sure"):
        flags.append(Flag("opioid_recent", ("Took" if recent == "yes" else "Not sure whether she took") +
                          " an opioid in the last 7-10 days: naltrexone must not start until she has been "
                          "opioid-free for 7-10 days (SmPC)."))
    liver_kidney = _selected(shown, "liver_kidney")
    organs = [label for code, label in (("liver", "liver disease"), ("kidney", "kidney disease"))
              if code in liver_kidney]
    if organs:
        flags.append(Flag("liver_kidney", f"Has {' and '.join(organs)}: naltrexone is contraindicated in severe "
                          "liver impairment and needs caution in liver or kidney impairment (SmPC)."))
    elif "not_sure" in liver_kidney:
        flags.append(Flag("liver_kidney", "Not sure whether she has liver or kidney disease: check before any "
                          "naltrexone (LDN)."))
    signs = [MASTOCYTOSIS_SIGNS[c] for c in _selected(shown, "mastocytosis_signs") if c in MASTOCYTOSIS_SIGNS]
    if signs:
        flags.append(Flag("mastocytosis_signs", "Possible signs of systemic mastocytosis: " + "; ".join(signs) +
                          ". Consider referral to haematology or allergy."))
    age = age_on(shown.get("date_of_birth"), today) if today and shown.get("date_of_birth") else None
    if age is not None and age < ADULT_AGE:
        guardian = shown.get("guardian_name")
        flags.append(Flag("under_18", f"Under 18 (age {age}): naltrexone (LDN) is not recommended under 18 "
                          "(SmPC); " + (f"parent or guardian: {guardian}." if guardian else
                                        "no parent or guardian named.")))
    heart = _selected(shown, "heart_bp_medicines")
    named = [label for code, label in (("beta_blocker", "a beta-blocker"), ("ace_inhibitor", "an ACE inhibitor"))
             if code in heart]
    if named:
        flags.append(Flag("beta_blocker_ace", f"Takes {' and '.join(named)}: anaphylaxis can be more severe "
                          "and, with a beta-blocker, adrenaline may work less well."))
    elif "not_sure" in heart:
        flags.append(Flag("beta_blocker_ace", "Not sure whether she takes a beta-blocker or an ACE inhibitor: "
                          "check (they worsen anaphylaxis and blunt adrenaline)."))
    pregnancy = [PREGNANCY[c] for c in _selected(shown, "pregnancy") if c in PREGNANCY]
    if pregnancy:
        flags.append(Flag("pregnancy", f"{' and '.join(pregnancy)}: check every medicine and supplement."))
    if no_auto_injector(shown):
        flags.append(Flag("no_auto_injector", "Past anaphylaxis and no adrenaline auto-injector: she has been "
                          "asked to see her doctor about one."))
    if shown.get("weight_loss_unintended") is True:
        flags.append(Flag("weight_loss", "Unintended weight loss in the last 6 months: an alarm symptom "
                          "that needs investigating, not only MCAS."))
    elif _weight_loss_very_severe(shown):
        flags.append(Flag("weight_loss", "Weight loss rated very severe: an alarm symptom that needs "
                          "investigating, not only MCAS."))
    rise = tryptase_rise(shown)
    if rise is not None:
        flags.append(Flag("tryptase", rise.summary + (f" {rise.timing_note}" if rise.timing_note else "")))
    baseline = baseline_tryptase(shown)
    flags.extend(Flag(f.key, f.text) for f in baseline_flags(None if baseline is None else f"{baseline:g}"))
    return tuple(flags)


# --- every safety item, answered or not ----------------------------------------------------------------

YES, NOT_SURE, NO, NOT_ASKED, NOT_ANSWERED = "yes", "not sure", "no", "not asked", "not answered"


@dataclass(frozen=True)
class SafetyCheck:
    key: str
    label: str
    status: str  # YES, NOT_SURE, NO, NOT_ASKED or NOT_ANSWERED
    detail: str = ""


def _asks(q: Questionnaire, *link_ids: str) -> bool:
    ids = {it.link_id for it in iter_items(q)}
    return any(link_id in ids for link_id in link_ids)


def safety_checks(q: Questionnaire, shown: Mapping[str, Any], today: date | None = None) -> tuple[SafetyCheck, ...]:
    """Each safety item of the summary with its status. "Not asked": this questionnaire version has no such
    question; "not answered": it asked and she left it blank (or it was hidden)."""
    checks: list[SafetyCheck] = []

    def add(key: str, label: str, asked: bool, status: str | None, detail: str = "") -> None:
        checks.append(SafetyCheck(key, label, status or (NOT_ANSWERED if asked else NOT_ASKED), detail))

    listed = listed_opioids(shown)
    opioid = shown.get("opioid_use")
    status = YES if opioid == "yes" or listed else {"not_sure": NOT_SURE, "no": NO}.get(str(opioid))
    add("opioid", "Takes an opioid", _asks(q, "opioid_use"), status,
        f"named in her medicines: {', '.join(listed)}" if listed else "")
    if _asks(q, "opioid_recent"):
        add("opioid_recent", "An opioid in the last 7-10 days", True,
            {"yes": YES, "not_sure": NOT_SURE, "no": NO}.get(str(shown.get("opioid_recent"))))
    heart = _selected(shown, "heart_bp_medicines")
    status = (YES if {"beta_blocker", "ace_inhibitor"} & set(heart) else NOT_SURE if "not_sure" in heart
              else NO if "neither" in heart else None)
    add("beta_blocker_ace", "A beta-blocker or an ACE inhibitor", _asks(q, "heart_bp_medicines"), status)
    pregnancy = _selected(shown, "pregnancy")
    status = YES if set(PREGNANCY) & set(pregnancy) else NO if "none" in pregnancy else None
    add("pregnancy", "Pregnant, breastfeeding or planning a pregnancy", _asks(q, "pregnancy"), status)
    if _asks(q, "liver_kidney"):
        organs = _selected(shown, "liver_kidney")
        status = (YES if {"liver", "kidney"} & set(organs) else NOT_SURE if "not_sure" in organs
                  else NO if "none" in organs else None)
        add("liver_kidney", "Liver or kidney disease", True, status)
    past, carries = shown.get("past_anaphylaxis"), shown.get("carries_epinephrine")
    status = (YES if no_auto_injector(shown) else NO if past is False or carries is True else None)
    add("no_auto_injector", "Past anaphylaxis without an adrenaline auto-injector",
        _asks(q, "past_anaphylaxis"), status)
    unintended = shown.get("weight_loss_unintended")
    severe = _weight_loss_very_severe(shown)
    status = YES if unintended is True or severe else NO if unintended is False else None
    add("weight_loss", "Unintended or very severe weight loss", _asks(q, "weight_loss_unintended"), status,
        "weight loss rated very severe" if severe else "")
    if _asks(q, "mastocytosis_signs"):
        signs = _selected(shown, "mastocytosis_signs")
        status = (YES if set(MASTOCYTOSIS_SIGNS) & set(signs) else NOT_SURE if "not_sure" in signs
                  else NO if "none" in signs else None)
        add("mastocytosis_signs", "Signs of systemic mastocytosis", True, status)
    rise = tryptase_rise(shown)
    add("tryptase", "Tryptase rise (20% + 2)", _asks(q, "tryptase_acute", "tryptase_results"),
        None if rise is None else YES if rise.meets_rule else NO)
    baseline = baseline_tryptase(shown)
    add("tryptase_baseline", "Baseline tryptase 8 ng/mL or more", _asks(q, "tryptase_baseline", "tryptase_results"),
        None if baseline is None else YES if baseline_flags(f"{baseline:g}") else NO,
        "" if baseline is None else f"{baseline:g} ng/mL")
    age = age_on(shown.get("date_of_birth"), today) if today and shown.get("date_of_birth") else None
    add("under_18", "Under 18", _asks(q, "date_of_birth"), None if age is None else YES if age < ADULT_AGE else NO)
    return tuple(checks)
