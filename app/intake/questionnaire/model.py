"""The questionnaire's model: the frozen tree (``Questionnaire`` -> ``Step`` -> ``Item``), the
constants stored in answers, the options shared by the versions, ``check`` (a version's definition is
consistent, or the import fails) and the accessors. Each version is its own module (v2026_1, ...);
registry.py lists them. Import from ``app.intake.questionnaire`` (the package re-exports all of it)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterator, Mapping

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

# The symptom recall of 2026.2 on: the last two weeks, like the symptom check-in, so the two share one
# trend (checkins.py). 2026.1 asked how bad symptoms "usually" get.
RECALL_TWO_WEEKS = "last_two_weeks"


def options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(code, label) for code, label in pairs)


def check(q: Questionnaire) -> Questionnaire:
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
