"""Practitioner flags: answers that change what is safe, shown first on the summary.

Pure: shown answers (``enabled_answers``) in, flags out. Sources (docs/CLINICAL_SOURCES.md,
"Intake questionnaire"):

* Opioids with naltrexone (LDN): contraindicated — naltrexone SmPC section 4.3 (eMC).
* Beta-blockers make anaphylaxis more severe and less responsive to adrenaline; ACE inhibitors
  are associated with more severe reactions: WAO anaphylaxis guidance 2020 (Cardona et al.,
  World Allergy Organ J 13:100472); Resuscitation Council UK anaphylaxis guideline 2021.
* Past anaphylaxis and no adrenaline auto-injector: NICE CG134 and the MHRA advise that people at
  risk of anaphylaxis are prescribed (two) auto-injectors; Anaphylaxis UK.
* Unintended weight loss is an alarm symptom: NICE NG12.
* The tryptase rise: ``app.clinical.tryptase`` (consensus 20% + 2 ng/mL, Valent et al.).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from app.clinical.tryptase import TryptaseRise, assess_rise

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


def practitioner_flags(shown: Mapping[str, Any]) -> tuple[Flag, ...]:
    """In the order the summary shows them; an empty tuple when nothing needs attention."""
    flags: list[Flag] = []
    opioid = shown.get("opioid_use")
    if opioid == "yes":
        flags.append(Flag("opioid", "Takes an opioid now: naltrexone (LDN) is contraindicated with opioids."))
    elif opioid == "not_sure":
        flags.append(Flag("opioid", "Not sure whether she takes an opioid: check before any naltrexone (LDN)."))
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
    rise = tryptase_rise(shown)
    if rise is not None:
        flags.append(Flag("tryptase", rise.summary + (f" {rise.timing_note}" if rise.timing_note else "")))
    return tuple(flags)
