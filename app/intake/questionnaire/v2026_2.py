"""Questionnaire version 2026.2: the questions a clinical review found missing (issue 13).

Sources (see also docs/CLINICAL_SOURCES.md, "Intake questionnaire"):

* Consensus criterion A and its symptom list: Valent P et al., Int Arch Allergy Immunol
  2012;157:215-225 and the 2019 update (PMC7115850); Valent P et al., J Allergy Clin Immunol
  Pract 2019;7:1125 and HemaSphere 2021;5:e646: urticaria, angioedema, flushing, pruritus;
  nausea, vomiting, diarrhoea, cramping; hypotension, syncope or near-syncope, tachycardia;
  wheeze; conjunctival injection, nasal congestion — in *episodes* of two or more systems.
* Beta-blockers and ACE inhibitors make anaphylaxis more severe and beta-blockers blunt
  adrenaline: WAO anaphylaxis guidance 2020 (Cardona V et al., World Allergy Organ J
  13:100472); Resuscitation Council UK, Emergency treatment of anaphylaxis (2021).
* Opioids are contraindicated with naltrexone (an opioid antagonist): naltrexone SmPC
  (electronic Medicines Compendium), section 4.3.
* Hereditary alpha-tryptasemia: Lyons JJ et al., Nat Genet 2016;48:1564.
* Proton-pump inhibitors raise chromogranin A:
  Pregun I et al., Digestion 2011;84:22-28.
* Unintended weight loss is an alarm symptom needing a doctor: NICE NG12 (suspected cancer).

Symptom link_ids shared with 2026.1 keep their ids; a scope that was split got new ids
(``sym_cv_low_bp`` left ``sym_cv_orthostatic``, now light-headedness on standing only;
``sym_const_weight`` became ``sym_const_weight_loss`` and ``sym_const_weight_gain``).
"""

from __future__ import annotations

from app.intake.questionnaire.model import (
    EMERGENCY_NOTICE,
    RECALL_TWO_WEEKS,
    SUDDEN_TOGETHER,
    SYMPTOM_STEP,
    YES_NO,
    EnableWhen,
    Item,
    Option,
    Questionnaire,
    Step,
    check,
    options,
)
from app.intake.questionnaire.v2026_1 import about, goals, lifestyle, visit

VERSION = "2026.2"
LDN_DOSE_HELP = ("Compounded LDN can be a capsule or a liquid: enter your dose in mg (for a liquid, "
                 "millilitres x mg/mL), down to 0.001 mg. Never change a dose without your doctor.")
CGA_HELP = ("Proton-pump inhibitors (omeprazole, lansoprazole and similar) raise chromogranin A, "
            "so say whether you were taking one at the time of that test.")
NOT_SURE = ("not_sure", "Not sure")


def _s(link_id: str, text: str, system: str, criterion_a: bool = False) -> Item:
    return Item(link_id, "severity", text, system=system, criterion_a=criterion_a)


def _symptoms() -> Step:
    a = True  # consensus criterion-A symptom (module docstring)
    return Step(SYMPTOM_STEP, "Symptoms by organ system", (
        _s("sym_skin_rash", "Rashes or eczema", "skin"),
        _s("sym_skin_hives", "Hives (urticaria)", "skin", a),
        _s("sym_skin_itching", "Itching", "skin", a),
        _s("sym_skin_flushing", "Flushing", "skin", a),
        _s("sym_skin_swelling", "Swelling of the lips, eyes, face or skin (angioedema)", "skin", a),
        _s("sym_cv_low_bp", "Low blood pressure (a measured reading)", "cardiovascular", a),
        _s("sym_cv_orthostatic", "Feeling light-headed on standing", "cardiovascular"),
        _s("sym_cv_palpitations", "Fast heartbeat or palpitations", "cardiovascular", a),
        _s("sym_cv_chest_pain", "Chest pain", "cardiovascular"),
        _s("sym_cv_fainting", "Fainting or nearly fainting", "cardiovascular", a),
        _s("sym_resp_rhinitis", "Blocked or runny nose (congestion)", "respiratory", a),
        _s("sym_resp_eyes", "Red, itchy or watery eyes", "respiratory", a),
        _s("sym_resp_wheeze", "Wheezing", "respiratory", a),
        _s("sym_resp_breath", "Shortness of breath", "respiratory"),
        _s("sym_gi_pain", "Abdominal pain or cramping", "gastrointestinal", a),
        _s("sym_gi_diarrhoea", "Diarrhoea", "gastrointestinal", a),
        _s("sym_gi_nausea", "Nausea", "gastrointestinal", a),
        _s("sym_gi_vomiting", "Vomiting", "gastrointestinal", a),
        _s("sym_gi_reflux", "Reflux or bloating", "gastrointestinal"),
        _s("sym_gi_appetite", "Loss of appetite or low appetite", "gastrointestinal"),
        _s("sym_neuro_headache", "Headaches or migraines", "neuro"),
        _s("sym_neuro_brain_fog", "Brain fog", "neuro"),
        _s("sym_neuro_dizziness", "Dizziness", "neuro"),
        _s("sym_neuro_anxiety", "Anxiety", "neuro"),
        _s("sym_neuro_vision", "Vision changes", "neuro"),
        _s("sym_const_fatigue", "Fatigue", "constitutional"),
        _s("sym_const_weakness", "Weakness", "constitutional"),
        _s("sym_const_weight_loss", "Weight loss", "constitutional"),
        _s("sym_const_weight_gain", "Weight gain", "constitutional"),
        _s("sym_msk_pain", "Joint or muscle pain", "musculoskeletal"),
        _s("sym_gu_bladder", "Bladder pain or urgency", "genitourinary"),
    ), intro="For each symptom, choose how bad it has been over the last two weeks and how often "
             "it happened.", notice=EMERGENCY_NOTICE)


def _triggers() -> Step:
    # Alcohol and insect stings are their own options (the seed lists them); "allergens" keeps
    # its code so carried-over answers stay valid.
    triggers = options(
        ("mould", "Mould"),
        ("allergens", "Foods and additives (gluten, other foods, preservatives)"),
        ("alcohol", "Alcohol"),
        ("insect_stings", "Insect stings or bites"),
        ("infections", "Infections (viruses, fungi)"),
        ("chemicals", "Chemicals and toxins (cleaning and personal-care products)"),
        ("heavy_metals", "Heavy metals, such as mercury from dental work (no published evidence links "
                         "them to mast cell symptoms)"),
        ("smells", "Smells (perfumes, beauty products)"),
        ("medications", "Medications (antibiotics, ibuprofen, opiate pain relievers)"),
        ("stress", "Physical or psychological stress (anxiety, exercise, lack of sleep, pain, "
                   "rapid temperature changes)"),
        ("hormonal", "Hormonal changes (menstrual cycle)"),
        ("other", "Something else"),
    )
    return Step("triggers", "Triggers", (
        Item("symptom_triggers", "multi", "What seems to set off your symptoms?", options=triggers,
             detail_label="Tell us more: which foods, products, medicines or situations?",
             detail_required_for=("other",)),
    ))


def _reactions() -> Step:
    had = EnableWhen("past_anaphylaxis", "=", True)
    cause_found = options(("yes", "Yes"), ("no", "No"), NOT_SURE)
    allergy = (
        Item("allergies.kind", "choice", "Kind of allergy", required=True, options=options(
            ("drug", "A medicine"), ("food", "A food"), ("latex", "Latex"),
            ("venom", "Insect venom (bee, wasp)"), ("other", "Something else"))),
        Item("allergies.substance", "text", "What you are allergic to", required=True),
        Item("allergies.reaction", "text", "What happened (the reaction)", required=True),
    )
    return Step("reactions", "Reactions and allergies", (
        Item(SUDDEN_TOGETHER, "boolean", "Do you have episodes in which symptoms of two or more "
             "body systems (for example skin and breathing, or gut and heart) start suddenly "
             "together?", required=True),
        Item("past_anaphylaxis", "boolean", "Have you ever had anaphylaxis (a severe allergic "
             "reaction)?", required=True),
        Item("anaphylaxis_count", "decimal", "How many times?", enable_when=had, min_value=1,
             max_value=500, noun="number of episodes", whole_number=True),
        Item("anaphylaxis_last_date", "date", "When was the most recent one?", enable_when=had),
        Item("anaphylaxis_cause_found", "choice", "Was a cause found?", enable_when=had,
             options=cause_found),
        Item("anaphylaxis_cause", "text", "What was the cause?",
             enable_when=EnableWhen("anaphylaxis_cause_found", "=", "yes")),
        Item("carries_epinephrine", "boolean", "Do you carry an adrenaline (epinephrine) "
             "auto-injector?", required=True),
        Item("has_allergies", "boolean", "Do you have any allergies (medicines, foods, latex, "
             "insect venom)?", required=True),
        Item("allergies", "group", "Your allergies", fields=allergy,
             enable_when=EnableWhen("has_allergies", "=", True), help="One row per allergy."),
        Item("family_history", "multi", "Does anyone in your close family have any of these?",
             options=options(("mast_cell", "A mast cell disease (MCAS or mastocytosis)"),
                              ("allergy", "Allergies or anaphylaxis"),
                              ("hat", "Hereditary alpha-tryptasemia (a raised baseline tryptase)"),
                              ("none", "None of these"), NOT_SURE),
             detail_label="Who, and anything else we should know"),
    ))


def _history() -> Step:
    diagnoses = options(
        ("mcas", "Mast cell activation syndrome (MCAS)"),
        ("histamine_intolerance", "Histamine intolerance"),
        ("mastocytosis", "Mastocytosis"),
        ("hat", "Hereditary alpha-tryptasemia"),
        ("pots", "POTS (postural orthostatic tachycardia syndrome)"),
        ("eds_hypermobility", "Ehlers-Danlos syndrome or hypermobility"),
        ("fibromyalgia", "Fibromyalgia"),
        ("psoriasis", "Psoriasis"),
        ("other_autoimmune", "Another autoimmune condition"),
    )
    return Step("history", "Medical history", (
        Item("diagnoses", "multi", "Which of these has a doctor diagnosed?", options=diagnoses,
             detail_label="Details, or any other diagnoses",
             detail_required_for=("other_autoimmune",)),
        Item("pregnancy", "multi", "Are you pregnant, breastfeeding or planning a pregnancy?",
             options=options(("pregnant", "Pregnant"), ("breastfeeding", "Breastfeeding"),
                              ("planning", "Planning a pregnancy"), ("none", "None of these")),
             help="It changes which medicines and supplements are safe."),
        Item("weight_loss_unintended", "boolean", "Have you lost weight without trying in the "
             "last 6 months?"),
    ))


def _medicines() -> Step:
    takes_ldn = EnableWhen("ldn_takes", "=", True)
    medications = (
        Item("medications.name", "text", "Medicine", required=True),
        Item("medications.dose", "text", "Dose"),
        Item("medications.timing", "text", "When you take it"),
    )
    return Step("medicines", "Medicines and supplements", (
        Item("medications", "group", "Current medications", fields=medications,
             help="Include prescribed and over-the-counter medicines."),
        Item("opioid_use", "choice", "Do you take an opioid painkiller now (for example codeine, "
             "tramadol, morphine, oxycodone)?", required=True, options=YES_NO + (Option(*NOT_SURE),),
             help="Opioids and naltrexone (LDN) must not be taken together."),
        Item("heart_bp_medicines", "multi", "Do you take a beta-blocker or an ACE inhibitor?",
             required=True, options=options(
                 ("beta_blocker", "A beta-blocker (for example propranolol, bisoprolol, "
                                  "metoprolol, or timolol eye drops)"),
                 ("ace_inhibitor", "An ACE inhibitor (for example ramipril, lisinopril)"),
                 ("neither", "Neither"), NOT_SURE),
             detail_label="Which medicine?"),
        Item("mcas_medicines", "multi", "Do you take any of these?", options=options(
            ("ketotifen", "Ketotifen"), ("montelukast", "Montelukast"),
            ("cromolyn", "Cromolyn (sodium cromoglicate)"), ("omalizumab", "Omalizumab"),
            ("ppi", "A proton-pump inhibitor (omeprazole, lansoprazole, pantoprazole)"),
            ("nsaid", "An anti-inflammatory painkiller (ibuprofen, naproxen, aspirin)")),
             detail_label="Doses, or anything else"),
        Item("antihistamines_h1", "text", "H1 antihistamines you take (for example cetirizine)"),
        Item("antihistamines_h2", "text", "H2 antihistamines you take (for example famotidine)"),
        Item("antihistamines_helped", "choice", "Have antihistamines helped your symptoms?",
             options=options(("yes", "Yes"), ("partly", "Partly"), ("no", "No"),
                              ("not_tried", "I have not tried them"))),
        Item("supplements_taken", "multi", "Supplements you take", options=options(
            ("quercetin", "Quercetin"), ("vitamin_c", "Vitamin C"),
            ("dao", "DAO (diamine oxidase) enzyme"), ("luteolin", "Luteolin")),
            detail_label="Other supplements, and doses"),
        *_ldn_items(takes_ldn),
    ))


def _ldn_items(takes_ldn: EnableWhen) -> tuple[Item, ...]:
    return (
        Item("ldn_takes", "boolean", "Do you take low-dose naltrexone (LDN)?", required=True),
        Item("ldn_formulation", "choice", "Which form?", enable_when=takes_ldn, options=options(
            ("ir_capsule", "Compounded immediate-release capsule"),
            ("liquid", "Compounded liquid"), ("other", "Another form (tablet, cream)"))),
        Item("ldn_concentration", "decimal", "Strength of the liquid", min_value=0.01,
             max_value=50, unit="mg/mL", noun="strength",
             enable_when=EnableWhen("ldn_formulation", "=", "liquid")),
        Item("ldn_dose", "decimal", "Your current LDN dose", min_value=0.001, max_value=10,
             unit="mg", noun="dose", help=LDN_DOSE_HELP, enable_when=takes_ldn),
        Item("ldn_timing", "choice", "When do you take it?", enable_when=takes_ldn,
             options=options(("bedtime", "At bedtime"), ("morning", "In the morning"),
                              ("other", "At another time"))),
        Item("ldn_start_date", "date", "When did you start LDN?", enable_when=takes_ldn),
        Item("ldn_titration", "longtext", "How has your dose changed since you started "
             "(titration)?", enable_when=takes_ldn),
        Item("ldn_side_effects", "multi", "Side effects you have noticed", enable_when=takes_ldn,
             options=options(("vivid_dreams", "Vivid dreams"), ("insomnia", "Trouble sleeping"),
                              ("headache", "Headache"), ("nausea", "Nausea"),
                              ("none", "None")), detail_label="Other side effects"),
        Item("ldn_response", "choice", "How have your symptoms changed on LDN?",
             enable_when=takes_ldn, options=options(
                 ("much_better", "Much better"), ("a_little_better", "A little better"),
                 ("no_change", "No change"), ("worse", "Worse"), ("too_early", "Too early to say"))),
    )


def _tests() -> Step:
    acute_given = EnableWhen("tryptase_acute", "exists", True)
    tests = (
        Item("other_tests.test", "choice", "Test", required=True, options=options(
            ("n_methylhistamine", "24-hour urine N-methylhistamine"),
            ("pgf2a", "11β-prostaglandin F2α (11β-PGF2α)"), ("pgd2", "Prostaglandin D2 (PGD2)"),
            ("lte4", "Leukotriene E4 (LTE4)"), ("chromogranin_a", "Chromogranin A"))),
        Item("other_tests.value", "decimal", "Result", min_value=0, max_value=1000000,
             noun="result"),
        Item("other_tests.unit", "text", "Unit, as on the report", max_length=30),
        Item("other_tests.date", "date", "Date of the test"),
        Item("other_tests.raised", "choice", "Was it above the lab's range?", options=options(
            ("raised", "Above the range"), ("normal", "Within the range"), NOT_SURE)),
        Item("other_tests.ppi", "choice", "Were you taking a proton-pump inhibitor then?",
             options=options(("yes", "Yes"), ("no", "No"), NOT_SURE), help=CGA_HELP),
    )
    return Step("tests", "Test results", (
        Item("tryptase_baseline", "decimal", "Baseline tryptase (when you were well)",
             min_value=0, max_value=1000, unit="ng/mL", noun="tryptase level"),
        Item("tryptase_baseline_date", "date", "Date of the baseline test"),
        Item("tryptase_acute", "decimal", "Tryptase taken during a reaction", min_value=0,
             max_value=1000, unit="ng/mL", noun="tryptase level",
             help="Only if blood was taken during or soon after a flare."),
        Item("tryptase_acute_date", "date", "Date of that test", enable_when=acute_given),
        Item("tryptase_acute_hours", "decimal", "How many hours after the symptoms started was "
             "the blood taken?", min_value=0, max_value=72, unit="h", noun="number of hours",
             enable_when=acute_given),
        Item("other_tests", "group", "Other mast cell tests", fields=tests,
             help="From your lab reports, if you have any. One row per result."),
    ), intro="From your blood and urine test reports, if you have any. Leave blank what you have "
             "not had.")


def build_2026_2() -> Questionnaire:
    steps = (about(), _symptoms(), _reactions(), _triggers(), _history(), _medicines(),
             _tests(), lifestyle(), goals(), visit())
    return check(Questionnaire(VERSION, "Homeostasis intake: mast cell and histamine symptoms",
                                steps, symptom_recall=RECALL_TWO_WEEKS))
