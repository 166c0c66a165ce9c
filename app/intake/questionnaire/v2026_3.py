"""Questionnaire version 2026.3: what the second clinical review found still missing (issue 23).

2026.2's steps, with these added (sources; see also docs/CLINICAL_SOURCES.md, "Intake questionnaire"):

* About you: a parent or guardian for anyone under 18 (``guardian_name``, ``guardian_phone``), required
  when the date of birth is under 18 years before today (``answers.validate_step``). Naltrexone SmPC
  section 4.2: not recommended under 18 (no data). The practitioner is flagged (practitioner_flags.py).
* Medical history: liver or kidney disease (``liver_kidney``; naltrexone SmPC 4.3: contraindicated in
  severe hepatic impairment and acute hepatitis; 4.4: caution in hepatic or renal impairment), and the
  red flags of systemic mastocytosis (``mastocytosis_signs``: fractures or osteoporosis, persistent skin
  spots, an enlarged liver or spleen, a previous bone-marrow or KIT D816V test; WHO criteria and
  Valent P et al., J Allergy Clin Immunol Pract 2019;7:1125: refer when these are present).
* Medicines: an opioid in the last 7-10 days (``opioid_recent``; naltrexone SmPC 4.4: patients must be
  opioid-free for 7-10 days before starting, or it can bring on withdrawal).

Answers to 2026.1 and 2026.2 stay readable, scored and exported under their own version: a stored answer
names its questionnaire version, and every version stays in the registry.
"""
from __future__ import annotations

from dataclasses import replace

from app.intake.questionnaire.model import YES_NO, Item, Option, Questionnaire, Step, check, options
from app.intake.questionnaire.v2026_2 import NOT_SURE, build_2026_2

VERSION = "2026.3"
GUARDIAN_NAME = "guardian_name"  # the same name in answers.py, which requires it under 18
UNDER_18_HELP = "Only if you are under 18: we need a parent or guardian for your care."


def _about(step: Step) -> Step:
    return replace(step, items=step.items + (
        Item(GUARDIAN_NAME, "text", "Parent or guardian's name (if you are under 18)", help=UNDER_18_HELP,
             max_length=120),
        Item("guardian_phone", "text", "Parent or guardian's phone number (if you are under 18)",
             text_format="phone", max_length=30),
    ))


def _history(step: Step) -> Step:
    return replace(step, items=step.items + (
        Item("liver_kidney", "multi", "Do you have liver or kidney disease?", required=True, options=options(
            ("liver", "Liver disease (for example hepatitis, cirrhosis, or liver tests a doctor said were "
                      "abnormal)"),
            ("kidney", "Kidney disease (for example reduced kidney function)"),
            ("none", "Neither"), NOT_SURE),
            detail_label="What, and since when?",
            help="Naltrexone (LDN) and some other medicines are not safe with liver disease."),
        Item("mastocytosis_signs", "multi", "Have you had any of these?", options=options(
            ("fractures", "A broken bone after a minor fall, or osteoporosis (thin bones)"),
            ("skin_spots", "Brown or red spots on the skin that do not go away and may itch or swell "
                           "when rubbed"),
            ("liver_spleen", "A doctor found an enlarged liver or spleen"),
            ("kit_test", "A bone-marrow test, or a blood test for the KIT D816V mutation"),
            ("none", "None of these"), NOT_SURE),
            detail_label="When, and any results you know"),
    ))


def _medicines(step: Step) -> Step:
    items = []
    for it in step.items:
        items.append(it)
        if it.link_id == "opioid_use":
            items.append(Item(
                "opioid_recent", "choice", "Have you taken an opioid in the last 7 to 10 days (a painkiller such "
                "as codeine or tramadol, a cough syrup with codeine, methadone or buprenorphine)?",
                required=True, options=YES_NO + (Option(*NOT_SURE),),
                help="Naltrexone (LDN) is started only after 7 to 10 days without opioids."))
    return replace(step, items=tuple(items))


def build_2026_3() -> Questionnaire:
    base = build_2026_2()
    change = {"about": _about, "history": _history, "medicines": _medicines}
    steps = tuple(change[s.key](s) if s.key in change else s for s in base.steps)
    return check(replace(base, version=VERSION, steps=steps))
