"""Questionnaire version 2026.1, the first: its steps (2026.2 reuses about, lifestyle, goals and visit)."""

from __future__ import annotations

from app.intake.questionnaire.model import (
    EMERGENCY_NOTICE,
    SYMPTOM_STEP,
    EnableWhen,
    Item,
    Questionnaire,
    Step,
    check,
    options,
)

VERSION = "2026.1"
LDN_DOSE_HELP = ("1.5–4.5 mg is the typical range (0.5–4.5 mg has been studied); never change a dose "
                 "without your doctor")


def _symptom(link_id: str, text: str, system: str) -> Item:
    return Item(link_id, "severity", text, system=system)


def about() -> Step:
    sex = options(("female", "Female"), ("male", "Male"), ("intersex", "Intersex"),
                   ("prefer_not", "Prefer not to say"))
    heard = options(("doctor", "A doctor or therapist"), ("friend", "A friend or family member"),
                     ("search", "An internet search"), ("social", "Social media"),
                     ("article", "An article, book or podcast"), ("other", "Somewhere else"))
    return Step("about", "About you", (
        Item("date_of_birth", "date", "Date of birth", required=True),
        Item("sex_at_birth", "choice", "Sex recorded at birth", required=True, options=sex,
             help="Some lab reference ranges differ by sex at birth."),
        Item("gender", "text", "Gender (optional)", help="In your own words, if you like."),
        Item("emergency_contact_name", "text", "Emergency contact: name", required=True),
        Item("emergency_contact_phone", "text", "Emergency contact: phone number",
             required=True, text_format="phone", max_length=30),
        Item("primary_care_doctor", "text", "Primary-care doctor (name and practice)"),
        Item("heard_about_us", "choice", "How did you hear about the practice?", options=heard),
    ))


def _symptoms() -> Step:
    s = _symptom
    return Step(SYMPTOM_STEP, "Symptoms by organ system", (
        s("sym_skin_rash", "Rashes or eczema", "skin"),
        s("sym_skin_hives", "Hives", "skin"),
        s("sym_skin_itching", "Itching", "skin"),
        s("sym_skin_flushing", "Flushing", "skin"),
        s("sym_skin_swelling", "Swelling", "skin"),
        s("sym_cv_orthostatic", "Low blood pressure or feeling light-headed on standing",
          "cardiovascular"),
        s("sym_cv_palpitations", "Heart palpitations", "cardiovascular"),
        s("sym_cv_chest_pain", "Chest pain", "cardiovascular"),
        s("sym_cv_fainting", "Fainting", "cardiovascular"),
        s("sym_resp_rhinitis", "Runny or blocked nose (rhinitis or congestion)", "respiratory"),
        s("sym_resp_eyes", "Itchy or watery eyes", "respiratory"),
        s("sym_resp_breath", "Shortness of breath", "respiratory"),
        s("sym_gi_pain", "Abdominal pain", "gastrointestinal"),
        s("sym_gi_diarrhoea", "Diarrhoea", "gastrointestinal"),
        s("sym_gi_nausea", "Nausea", "gastrointestinal"),
        s("sym_gi_vomiting", "Vomiting", "gastrointestinal"),
        s("sym_gi_reflux", "Reflux or bloating", "gastrointestinal"),
        s("sym_gi_appetite", "Loss of appetite or low appetite", "gastrointestinal"),
        s("sym_neuro_headache", "Headaches or migraines", "neuro"),
        s("sym_neuro_brain_fog", "Brain fog", "neuro"),
        s("sym_neuro_dizziness", "Dizziness", "neuro"),
        s("sym_neuro_anxiety", "Anxiety", "neuro"),
        s("sym_neuro_vision", "Vision changes", "neuro"),
        s("sym_const_fatigue", "Fatigue", "constitutional"),
        s("sym_const_weakness", "Weakness", "constitutional"),
        s("sym_const_weight", "Rapid weight loss or weight gain", "constitutional"),
        s("sym_msk_pain", "Joint or muscle pain", "musculoskeletal"),
        s("sym_gu_bladder", "Bladder pain or urgency", "genitourinary"),
    ), intro="For each symptom, choose how bad it usually gets and how often it happens.",
        notice=EMERGENCY_NOTICE)


def _triggers() -> Step:
    triggers = options(
        ("mould", "Mould"),
        ("allergens", "Allergens (insect bites, gluten, other foods, preservatives)"),
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


def _history_items() -> tuple[Item, ...]:
    diagnoses = options(
        ("mcas", "Mast cell activation syndrome (MCAS)"),
        ("histamine_intolerance", "Histamine intolerance"),
        ("mastocytosis", "Mastocytosis"),
        ("pots", "POTS (postural orthostatic tachycardia syndrome)"),
        ("eds_hypermobility", "Ehlers-Danlos syndrome or hypermobility"),
        ("fibromyalgia", "Fibromyalgia"),
        ("psoriasis", "Psoriasis"),
        ("other_autoimmune", "Another autoimmune condition"),
    )
    tryptase = (
        Item("tryptase_results.value", "decimal", "Tryptase level", required=True,
             min_value=0, max_value=1000, unit="ng/mL", noun="tryptase level"),
        Item("tryptase_results.date", "date", "Date of the test", required=True),
        Item("tryptase_results.context", "choice", "When was the blood taken?", options=options(
            ("baseline", "Baseline, when I was well"),
            ("flare", "During a flare, within 4 hours of symptoms starting"))),
    )
    medications = (
        Item("medications.name", "text", "Medicine", required=True),
        Item("medications.dose", "text", "Dose"),
        Item("medications.timing", "text", "When you take it"),
    )
    takes_ldn = EnableWhen("ldn_takes", "=", True)
    return (
        Item("diagnoses", "multi", "Which of these has a doctor diagnosed?", options=diagnoses,
             detail_label="Details, or any other diagnoses",
             detail_required_for=("other_autoimmune",)),
        Item("past_anaphylaxis", "boolean", "Have you ever had anaphylaxis (a severe allergic "
             "reaction)?", required=True),
        Item("carries_epinephrine", "boolean", "Do you carry an adrenaline (epinephrine) "
             "auto-injector?", required=True),
        Item("tryptase_results", "group", "Tryptase results", fields=tryptase,
             help="From your blood test reports, if you have any. Add one row per test."),
        Item("medications", "group", "Current medications", fields=medications,
             help="Include prescribed and over-the-counter medicines."),
        Item("ldn_takes", "boolean", "Do you take low-dose naltrexone (LDN)?", required=True),
        Item("ldn_dose", "decimal", "Your current LDN dose", min_value=0.1, max_value=10,
             unit="mg", noun="dose", help=LDN_DOSE_HELP, enable_when=takes_ldn),
        Item("ldn_timing", "choice", "When do you take it?", enable_when=takes_ldn,
             options=options(("bedtime", "At bedtime"), ("morning", "In the morning"),
                              ("other", "At another time"))),
        Item("antihistamines_h1", "text", "H1 antihistamines you take (for example cetirizine)"),
        Item("antihistamines_h2", "text", "H2 antihistamines you take (for example famotidine)"),
        Item("mast_cell_stabilisers", "text", "Mast cell stabilisers you take (for example "
             "cromolyn)"),
        Item("supplements", "longtext", "Supplements you take"),
        Item("antihistamines_helped", "choice", "Have antihistamines helped your symptoms?",
             options=options(("yes", "Yes"), ("partly", "Partly"), ("no", "No"),
                              ("not_tried", "I have not tried them"))),
    )


def lifestyle() -> Step:
    return Step("lifestyle", "Diet and lifestyle", (
        Item("low_histamine_diet", "choice", "Have you tried a low-histamine diet?",
             options=options(("now", "Yes, I follow one now"), ("past", "Yes, in the past"),
                              ("no", "No"))),
        Item("low_histamine_diet_effect", "choice", "How did it affect your symptoms?",
             enable_when=EnableWhen("low_histamine_diet", "!=", "no"),
             options=options(("much_better", "Much better"), ("a_little_better", "A little "
                              "better"), ("no_change", "No change"), ("worse", "Worse"),
                              ("not_sure", "Not sure yet"))),
        Item("sleep_quality", "choice", "How well do you sleep?", options=options(
            ("good", "Well"), ("fair", "Fairly well"), ("poor", "Poorly"),
            ("very_poor", "Very poorly"))),
        Item("stress_level", "choice", "How stressed do you feel most days?", options=options(
            ("low", "A little"), ("moderate", "Moderately"), ("high", "Very"),
            ("very_high", "Extremely"))),
        Item("exercise_tolerance", "choice", "How does exercise affect you?", options=options(
            ("normal", "I can exercise as usual"), ("reduced", "I can do less than I used to"),
            ("triggers", "Exercise brings on my symptoms"),
            ("unable", "I cannot exercise at the moment"))),
    ))


def goals() -> Step:
    return Step("goals", "Your goals", (
        Item("consultation_goals", "longtext", "What would you like to get from your "
             "consultation?", required=True),
    ))


def visit() -> Step:
    needs = options(("fragrance_free", "A fragrance-free room"),
                     ("latex", "Latex-free gloves and equipment"),
                     ("temperature", "Room temperature (heat or cold)"),
                     ("excipients", "Dyes or fillers in medicines"))
    return Step("visit", "Sensitivities for your visit", (
        Item("visit_sensitivities", "multi", "Is there anything we should prepare for your "
             "visit?", options=needs, detail_label="Anything else we should know"),
    ))


def build_2026_1() -> Questionnaire:
    history = Step("history", "Medical history", _history_items())
    steps = (about(), _symptoms(), _triggers(), history, lifestyle(), goals(), visit())
    return check(Questionnaire(VERSION, "Homeostasis intake: mast cell and histamine "
                                "symptoms", steps))
