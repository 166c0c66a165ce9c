"""The MCAS / histamine-intolerance intake, defined as versioned data.

Nothing here renders or stores anything: templates, validation (``answers``), scoring
(``scoring``) and the FHIR export (``fhir``) all read the same frozen tree, so a wording
change is one edit here. A released version is never edited in place: stored answers
name the version they were given against, so a change means a new version in
``QUESTIONNAIRES``.

Tree: ``Questionnaire`` -> ordered ``Step`` (one form page) -> ``Item``. Item kinds:

* ``choice``   single choice from ``options``
* ``multi``    several choices from ``options`` plus an optional free-text detail
* ``severity`` a symptom: severity 0-4 (``SEVERITY_OPTIONS``) and how often
  (``FREQUENCY_OPTIONS``); ``system`` names the organ system (``SYSTEMS``)
* ``text`` / ``longtext`` / ``date`` / ``boolean``
* ``decimal``  with ``min_value`` / ``max_value`` / ``unit``
* ``group``    a repeating list of rows whose columns are ``fields``
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterator, Mapping

CURRENT_VERSION = "2026.3"  # 2026.1 and 2026.2 stay: their stored answers name them

KINDS = frozenset(
    {"choice", "multi", "severity", "text", "longtext", "date", "decimal", "boolean", "group"}
)
OPERATORS = frozenset({"=", "!=", "exists"})

# Organ systems in report order. Keys are stored in answers and scores: never rename.
SYSTEMS: Mapping[str, str] = MappingProxyType(
    {
        "skin": "Skin",
        "cardiovascular": "Heart and circulation",
        "respiratory": "Breathing, nose and eyes",
        "gastrointestinal": "Digestion",
        "neuro": "Brain, nerves and mood",
        "constitutional": "Whole body",
        "musculoskeletal": "Muscles and joints",
        "genitourinary": "Bladder",
    }
)
# The organ systems named by consensus criterion A (Valent et al.).
CRITERION_A_SYSTEMS = ("skin", "cardiovascular", "respiratory", "gastrointestinal")

SYMPTOM_STEP = "symptoms"
# "Do you have episodes in which symptoms of two or more systems start suddenly together?"
# (asked from 2026.2; the criterion-A pattern needs a yes, scoring.py).
SUDDEN_TOGETHER = "episodes_sudden_together"


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    score: int | None = None  # only severity options carry a score (FHIR itemWeight)


@dataclass(frozen=True)
class EnableWhen:
    """Show the item only when the answer to ``link_id`` meets the condition.

    Semantics follow FHIR R5: ``=`` needs an answer equal to ``answer``; ``!=`` holds
    when no answer equals it (so also when unanswered); ``exists`` compares
    "has an answer" with the boolean ``answer``.
    """

    link_id: str
    operator: str
    answer: str | bool


@dataclass(frozen=True)
class Item:
    link_id: str
    kind: str
    text: str
    required: bool = False
    help: str | None = None
    enable_when: EnableWhen | None = None
    options: tuple[Option, ...] = ()
    system: str | None = None  # severity items only
    min_value: float | None = None  # decimal items only
    max_value: float | None = None
    unit: str | None = None
    noun: str = "number"  # decimal items: "Enter a <noun> between ..."
    fields: tuple["Item", ...] = ()  # group items only
    detail_label: str | None = None  # multi items: prompt for the free-text detail
    detail_required_for: tuple[str, ...] = ()  # multi codes that need the detail filled in
    text_format: str | None = None  # "phone" adds a format check to a text item
    max_length: int | None = None
    criterion_a: bool = False  # severity items: a consensus criterion-A symptom (scoring.py)
    whole_number: bool = False  # decimal items that count things

    @property
    def field(self) -> str:
        """Column name of a group field (``medications.name`` -> ``name``)."""
        return self.link_id.rsplit(".", 1)[-1]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.options)

    def option(self, code: str) -> Option | None:
        return next((option for option in self.options if option.code == code), None)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    items: tuple[Item, ...]
    intro: str | None = None
    notice: str | None = None  # safety text shown before the items


@dataclass(frozen=True)
class Questionnaire:
    version: str
    title: str
    steps: tuple[Step, ...]
    # The symptom step's recall window: 2026.1 asked how bad symptoms "usually" get; from 2026.2 the
    # intake asks about the last two weeks, like the check-in, so both share one trend (checkins.py).
    symptom_recall: str = "usual"

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"No step {key!r} in questionnaire {self.version}")


SEVERITY_OPTIONS = (
    Option("0", "None", 0),
    Option("1", "Mild", 1),
    Option("2", "Moderate", 2),
    Option("3", "Severe", 3),
    Option("4", "Very severe", 4),
)
SEVERITY_MAX = 4
FREQUENCY_OPTIONS = (
    Option("never", "Never"),
    Option("monthly", "Monthly"),
    Option("weekly", "Weekly"),
    Option("daily", "Daily"),
)
YES_NO = (Option("yes", "Yes"), Option("no", "No"))

# Wording taken from NHS anaphylaxis advice (see CLINICAL.md): an emergency is never a booking.
EMERGENCY_NOTICE = (
    "If you have a swollen throat or tongue, difficulty breathing or swallowing, wheezing, "
    "confusion or dizziness, or feel faint, use your adrenaline auto-injector "
    "without delay if you have one, then call emergency services. This form is not watched in real time."
)
LDN_DOSE_HELP = ("1.5–4.5 mg is the typical range (0.5–4.5 mg has been studied); never change a dose "
                 "without your doctor")


def _options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(code, label) for code, label in pairs)


def _symptom(link_id: str, text: str, system: str) -> Item:
    return Item(link_id, "severity", text, system=system)


def _about() -> Step:
    sex = _options(("female", "Female"), ("male", "Male"), ("intersex", "Intersex"),
                   ("prefer_not", "Prefer not to say"))
    heard = _options(("doctor", "A doctor or therapist"), ("friend", "A friend or family member"),
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
    triggers = _options(
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
    diagnoses = _options(
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
        Item("tryptase_results.context", "choice", "When was the blood taken?", options=_options(
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
             options=_options(("bedtime", "At bedtime"), ("morning", "In the morning"),
                              ("other", "At another time"))),
        Item("antihistamines_h1", "text", "H1 antihistamines you take (for example cetirizine)"),
        Item("antihistamines_h2", "text", "H2 antihistamines you take (for example famotidine)"),
        Item("mast_cell_stabilisers", "text", "Mast cell stabilisers you take (for example "
             "cromolyn)"),
        Item("supplements", "longtext", "Supplements you take"),
        Item("antihistamines_helped", "choice", "Have antihistamines helped your symptoms?",
             options=_options(("yes", "Yes"), ("partly", "Partly"), ("no", "No"),
                              ("not_tried", "I have not tried them"))),
    )


def _lifestyle() -> Step:
    return Step("lifestyle", "Diet and lifestyle", (
        Item("low_histamine_diet", "choice", "Have you tried a low-histamine diet?",
             options=_options(("now", "Yes, I follow one now"), ("past", "Yes, in the past"),
                              ("no", "No"))),
        Item("low_histamine_diet_effect", "choice", "How did it affect your symptoms?",
             enable_when=EnableWhen("low_histamine_diet", "!=", "no"),
             options=_options(("much_better", "Much better"), ("a_little_better", "A little "
                              "better"), ("no_change", "No change"), ("worse", "Worse"),
                              ("not_sure", "Not sure yet"))),
        Item("sleep_quality", "choice", "How well do you sleep?", options=_options(
            ("good", "Well"), ("fair", "Fairly well"), ("poor", "Poorly"),
            ("very_poor", "Very poorly"))),
        Item("stress_level", "choice", "How stressed do you feel most days?", options=_options(
            ("low", "A little"), ("moderate", "Moderately"), ("high", "Very"),
            ("very_high", "Extremely"))),
        Item("exercise_tolerance", "choice", "How does exercise affect you?", options=_options(
            ("normal", "I can exercise as usual"), ("reduced", "I can do less than I used to"),
            ("triggers", "Exercise brings on my symptoms"),
            ("unable", "I cannot exercise at the moment"))),
    ))


def _goals() -> Step:
    return Step("goals", "Your goals", (
        Item("consultation_goals", "longtext", "What would you like to get from your "
             "consultation?", required=True),
    ))


def _visit() -> Step:
    needs = _options(("fragrance_free", "A fragrance-free room"),
                     ("latex", "Latex-free gloves and equipment"),
                     ("temperature", "Room temperature (heat or cold)"),
                     ("excipients", "Dyes or fillers in medicines"))
    return Step("visit", "Sensitivities for your visit", (
        Item("visit_sensitivities", "multi", "Is there anything we should prepare for your "
             "visit?", options=needs, detail_label="Anything else we should know"),
    ))


def _check(q: Questionnaire) -> Questionnaire:
    """Fail at import, not at a patient's submit, if the definition is inconsistent."""
    seen: set[str] = {step.key for step in q.steps}  # step keys become FHIR linkIds too
    earlier: dict[str, Item] = {}
    for it in iter_items(q):
        fields = {f.link_id for f in it.fields}
        if it.link_id in seen or it.kind not in KINDS or seen & fields:
            raise ValueError(f"Bad or duplicate item {it.link_id!r}")
        cond = it.enable_when
        if cond and (cond.link_id not in seen or cond.operator not in OPERATORS):
            raise ValueError(f"{it.link_id!r} depends on a later or unknown item")
        if cond and isinstance(cond.answer, str) and (
                cond.link_id not in earlier or earlier[cond.link_id].option(cond.answer) is None):
            # The FHIR export codes the answer as one of that item's options (fhir._enable_when).
            raise ValueError(f"{it.link_id!r} depends on an answer its item does not offer")
        if (it.kind == "severity") != (it.system in SYSTEMS) or (it.criterion_a and it.kind != "severity"):
            raise ValueError(f"{it.link_id!r}: symptom needs a known organ system")
        seen |= {it.link_id} | fields
        earlier[it.link_id] = it
    return q


def _build_2026_1() -> Questionnaire:
    history = Step("history", "Medical history", _history_items())
    steps = (_about(), _symptoms(), _triggers(), history, _lifestyle(), _goals(), _visit())
    return _check(Questionnaire("2026.1", "Homeostasis intake: mast cell and histamine "
                                "symptoms", steps))


def get_questionnaire(version: str | None = None) -> Questionnaire:
    """The questionnaire for ``version`` (default: the current one). KeyError if unknown."""
    key = CURRENT_VERSION if version is None else version
    try:
        return QUESTIONNAIRES[key]
    except KeyError:
        raise KeyError(f"Unknown questionnaire version {key!r}") from None


def iter_items(q: Questionnaire) -> Iterator[Item]:
    """Top-level items of every step, in order (group fields stay inside their group)."""
    for step in q.steps:
        yield from step.items


def symptom_items(q: Questionnaire) -> tuple[Item, ...]:
    """The symptom section alone: also the whole of the short symptom check-in."""
    return q.step(SYMPTOM_STEP).items


def item(q: Questionnaire, link_id: str) -> Item:
    """Any item by link_id, including group fields such as ``medications.name``."""
    for it in iter_items(q):
        if it.link_id == link_id:
            return it
        for field in it.fields:
            if field.link_id == link_id:
                return field
    raise KeyError(f"No item {link_id!r} in questionnaire {q.version}")


def step_of(q: Questionnaire, link_id: str) -> Step:
    """The step holding a top-level item."""
    for step in q.steps:
        if any(it.link_id == link_id for it in step.items):
            return step
    raise KeyError(f"No item {link_id!r} in questionnaire {q.version}")


# Built last: _check needs the helpers above, and 2026.2 (its own module) reuses this one's steps.
from app.intake.questionnaire_2026_2 import build_2026_2  # noqa: E402  (needs the names above)
from app.intake.questionnaire_2026_3 import build_2026_3  # noqa: E402

QUESTIONNAIRES: Mapping[str, Questionnaire] = MappingProxyType(
    {"2026.1": _build_2026_1(), "2026.2": build_2026_2(), "2026.3": build_2026_3()})
