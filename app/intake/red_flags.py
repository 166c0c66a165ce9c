"""The red-flag (anaphylaxis) screen asked on the booking path, before a time is held, and the one source
of the emergency steps that every page, email and lesson shows.

Pure data and pure checks: no Flask, no storage. The answers are never kept anywhere — the web layer
keeps only "passed at <instant>" in the session, and an emergency outcome shows advice instead of booking.

Why the screen asks about *new, sudden or much worse than usual* signs: patients with MCAS (and often
POTS) live with flushing, cramps, a racing heart or a sense of dread most days. A screen that sends every
chronic symptom to "this may be anaphylaxis" is answered "no" by habit within a few bookings, which is
the one failure a safety screen must not have. So it asks about a change, now, and routes as follows
(every rule is tested as a table in tests/unit/test_red_flags_routing.py; sources in
docs/CLINICAL_SOURCES.md, "Emergency screen"):

* **anaphylaxis** — any airway, breathing or circulation sign (throat or tongue swelling, hoarse voice or
  trouble swallowing, difficulty breathing or wheeze, fainting / collapse / confusion), or skin or mucosal
  signs together with severe gut symptoms. WAO 2020 (Cardona et al., World Allergy Organ J 13:100472),
  criteria 1 and 2; Resuscitation Council UK 2021 "ABC problems"; NHS anaphylaxis symptoms.
* **anaphylaxis** too — chest pain together with any skin, gut or dread sign. Chest pain can be part of
  anaphylaxis (WAO 2020 lists it among the cardiovascular signs; Resuscitation Council UK 2021 names
  myocardial ischaemia among the circulation problems), and Anaphylaxis UK's rule is "if in
  doubt, use your adrenaline auto-injector": the anaphylaxis steps (adrenaline first, lie down, do not
  sit in a chair or stand, which can drop the blood pressure) are the safe ones.
* **chest_pain** — new chest pain alone: call the emergency number (NHS "Chest pain": call 999 for sudden
  chest pain) and lie down unless breathing is hard, with no auto-injector step first, since chest pain
  alone is not anaphylaxis.
* **recent_reaction** — adrenaline used, or a severe reaction, in the last 3 days (72 hours): symptoms can
  return hours later, most within 12 hours but up to 72 (biphasic reactions: Shaker MS et al., AAAAI/ACAAI
  anaphylaxis practice parameter 2020, J Allergy Clin Immunol 145:1082), and everyone given adrenaline
  should be assessed in hospital (Resuscitation Council UK 2021, "Emergency treatment of anaphylaxis",
  observation after treatment; NHS). A severe reaction treated without adrenaline is told to be seen
  today if no one has examined her (NHS 111). Booking goes on only once she confirms she has been checked
  since and has no warning sign now; the page lists those warning signs.
* **watch** — a single non-ABC sign (skin, gut or a sense of dread alone): not anaphylaxis by the WAO
  criteria. She sees what to watch for and the steps if it changes, and may go on to book.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping

# A passed screen lets the patient book for this long; after that she is asked again.
VALID_FOR = timedelta(hours=2)
FIELD_PREFIX = "red_flag_"

# What a sign says about the body. "abc": airway, breathing or circulation (WAO 2020 criterion 2; Resus
# UK 2021); "skin": skin or mucosa; "gut": severe gastrointestinal; "other": not an anaphylaxis criterion
# on its own.
ABC, SKIN, GUT, OTHER, CHEST, RECENT = "abc", "skin", "gut", "other", "chest", "recent"


# How to answer, per question (issue 23 point 8). Skin, gut and dread are everyday MCAS symptoms: only a
# change counts. Airway, breathing and circulation signs are never "usual": any of them now is a yes.
NOW_HINT = "Answer “yes” if you have this now, even if you have had it before."
CHANGE_HINT = ("Answer “yes” if it is new, sudden, or much worse than usual; answer “no” if you have it "
               "most days at its usual level.")
CHEST_HINT = ("Answer “yes” if it is new or sudden, or different from or worse than chest pain a doctor has "
              "already checked.")


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: str
    hint: str = ""

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.key


# The NHS anaphylaxis page's signs (nhs.uk/conditions/anaphylaxis), folded into the airway, breathing and
# circulation questions so API clients keep the same keys: a persistent cough; suddenly feeling sleepy;
# blue, grey or pale skin or lips.
SIGNS: tuple[Question, ...] = (
    Question("throat", "Swelling of your tongue or throat, or your throat feeling tight", ABC, NOW_HINT),
    Question("breathing", "Difficulty breathing, wheeze, a cough that will not stop, or fast, noisy breathing",
             ABC, NOW_HINT),
    Question("voice", "A hoarse voice, or difficulty swallowing", ABC, NOW_HINT),
    Question("faint", "Fainting, collapse, feeling very faint or dizzy, confusion, suddenly feeling very "
             "sleepy, or blue, grey or pale skin or lips", ABC, NOW_HINT),
    Question("hives", "Widespread hives, itching or flushing, or swelling of your lips, eyes or face", SKIN,
             CHANGE_HINT),
    Question("gut", "Severe tummy cramps, or vomiting again and again", GUT, CHANGE_HINT),
    Question("doom", "A sudden sense that something terrible is about to happen", OTHER, CHANGE_HINT),
    Question("chest_pain", "Chest pain", CHEST, CHEST_HINT),
)
# The signs grouped by how to answer them, in the order they first appear (the one-answer screen lists
# them so: "now" signs first, then those that count only when new or worse, then chest pain).
SIGN_GROUPS: tuple[tuple[str, tuple[Question, ...]], ...] = tuple(
    (hint, tuple(q for q in SIGNS if q.hint == hint)) for hint in dict.fromkeys(q.hint for q in SIGNS))
# Biphasic reactions come back up to 72 hours later (Shaker et al. 2020): a reaction 30 hours ago counts.
RECENT_HEADING = "In the last 3 days"
RECENT_QUESTION = Question(
    "recent_reaction",
    "In the last 3 days (72 hours), have you used an adrenaline (epinephrine) auto-injector or had a "
    "severe allergic reaction?", RECENT)
QUESTIONS: tuple[Question, ...] = (*SIGNS, RECENT_QUESTION)
# The signs that mean "use the anaphylaxis steps now", as a list to show (a flare page, the advice pages).
WARNING_SIGNS = (*(q.text for q in SIGNS if q.kind == ABC),
                 "Widespread hives, itching, flushing or swelling together with severe tummy cramps or vomiting",
                 "Chest pain together with hives, flushing or swelling, tummy cramps or vomiting, or a sense of "
                 "dread")

PROMPT = "Right now, do you have any of these?"
# One answer for the whole list, as NHS 111 online asks about a list of symptoms; "yes" then asks which,
# and the ticked signs route exactly as the per-question form does (``assess``).
NONE_ANSWER = "None of these right now"
SOME_ANSWER = "Yes, at least one"
WHICH_PROMPT = "Which of these do you have? Tick every one that applies."
CHOOSE_ONE = "Choose “None of these right now” or “Yes, at least one”."
TICK_ONE = "Tick at least one, or go back and choose “None of these right now”."
PROMPT_HINT = ("Throat, breathing, voice and fainting signs: answer “yes” if you have them now. Skin, tummy "
               "and a sense of dread: answer “yes” only if new, sudden, or much worse than your usual "
               "symptoms, “no” for symptoms you have most days at their usual level. Each question says "
               "which.")

# --- the one source of the emergency steps -------------------------------------------------------
# Order: Resuscitation Council UK 2021 (adrenaline first, without delay; then call for help; position;
# do not stand; repeat adrenaline after 5 minutes if no better), NHS "Anaphylaxis" and Anaphylaxis UK.
EMERGENCY_TITLE = "This may be anaphylaxis: get emergency help now"
EMERGENCY_STEPS: tuple[str, ...] = (
    "Use your adrenaline (epinephrine) auto-injector now, without delay, if you have one: into the outer "
    "thigh, through clothing if need be.",
    "Then call the emergency number (999 in the UK, 911 in the US and Canada, 112 in the EU) and say "
    "“anaphylaxis”. Call even if you have no auto-injector, and even if you start to feel better.",
    "Lie down with your legs raised. If breathing is hard, sit up instead. If you are pregnant, lie on "
    "your left side.",
    "Do not stand up or walk, even if you feel better.",
    "If you are no better after 5 minutes, or you get worse, use a second auto-injector if you have one.",
)
# The line every email (text and HTML) ends with: the first two steps, in their order.
EMAIL_EMERGENCY_LINE = ("In an emergency, use your adrenaline auto-injector without delay if you have one, "
                        "then call your local emergency number.")

# The short form for page footers and notices.
PAGE_EMERGENCY_LINE = ("Swelling of the throat or tongue, difficulty breathing, or feeling faint can be "
                       "anaphylaxis: use your adrenaline auto-injector without delay if you have one, then "
                       "call your local emergency number.")

# Chest pain alone (NHS "Chest pain": call 999 for sudden chest pain): no auto-injector step first. Lying
# down, not sitting in a chair: in a patient who may be reacting, sitting up can drop the blood pressure
# (Anaphylaxis UK; Resuscitation Council UK 2021 positioning).
CHEST_PAIN_TITLE = "New chest pain: call the emergency number now"
CHEST_PAIN_STEPS: tuple[str, ...] = (
    "Call the emergency number now (999 in the UK, 911 in the US and Canada, 112 in the EU). Do not wait "
    "to see whether it passes.",
    "Lie down while you wait, unless breathing is hard: then sit up. Do not stand, walk or drive yourself "
    "to hospital.",
    "If hives, flushing or swelling, tummy cramps or vomiting, a sense of dread, swelling of your throat "
    "or tongue, difficulty breathing or fainting start too, it may be anaphylaxis: use your adrenaline "
    "auto-injector without delay if you have one. If in doubt, use it.",
)

# After adrenaline or a severe reaction in the last 3 days (Resus UK 2021; NHS; Shaker et al. 2020).
RECENT_TITLE = "After a severe reaction, symptoms can come back"
RECENT_STEPS: tuple[str, ...] = (
    "If you used an adrenaline auto-injector and have not been checked in hospital since, call the "
    "emergency number now: everyone who needs adrenaline should be seen in hospital.",
    "If you had a severe reaction without using adrenaline and no one has examined you since, contact a "
    "doctor or NHS 111 today.",
    "Symptoms can come back hours later, and rarely up to 3 days later, without a new trigger (a biphasic "
    "reaction). For the first day, stay with someone; until 3 days have passed, keep two auto-injectors "
    "with you.",
    "If any of the warning signs listed on this page comes back, use your auto-injector without delay, "
    "then call the emergency number.",
)
RECENT_CONFIRM = ("I have been checked by a doctor or a hospital since the reaction, and I have none of "
                  "the warning signs now.")

# One non-ABC sign on its own (WAO 2020: not anaphylaxis by itself).
WATCH_TITLE = "Not an emergency sign on its own, but keep an eye on it"
WATCH_ADVICE: tuple[str, ...] = (
    "What you ticked can be part of mast cell symptoms, and on its own it is not a sign of anaphylaxis.",
    "If it is new and worrying you, contact your doctor today (in the UK you can also call NHS 111).",
    "If any of these start, it may be anaphylaxis: follow the emergency steps below.",
)

NOT_BOOKED = ("We have not booked anything. Booking a consultation can wait until you are safe; "
              "this website is not watched in real time.")
SOURCES = (
    ("World Allergy Organization anaphylaxis guidance 2020 (clinical criteria for anaphylaxis)",
     "https://doi.org/10.1016/j.waojou.2020.100472"),
    ("Resuscitation Council UK: Emergency treatment of anaphylaxis (2021)",
     "https://www.resus.org.uk/library/additional-guidance/guidance-anaphylaxis/emergency-treatment"),
    ("NHS: Anaphylaxis", "https://www.nhs.uk/conditions/anaphylaxis/"),
    ("NHS: Chest pain", "https://www.nhs.uk/conditions/chest-pain/"),
)
ANSWER_EACH = "Answer yes or no"

ANAPHYLAXIS, CHEST_PAIN, RECENT_REACTION, WATCH, PASSED = (
    "anaphylaxis", "chest_pain", "recent_reaction", "watch", "passed")
# Outcomes that stop booking outright (a call for emergency help).
EMERGENCY_KINDS = frozenset({ANAPHYLAXIS, CHEST_PAIN})
# Outcomes the patient may go on from, once she has read them (and, after a reaction, confirmed).
ACKNOWLEDGEABLE = frozenset({RECENT_REACTION, WATCH})
ACK_FIELD = "acknowledged"
RECENT_CONFIRM_FIELD = "checked_since"


@dataclass(frozen=True)
class Advice:
    title: str
    steps: tuple[str, ...]


ADVICE: Mapping[str, Advice] = {
    ANAPHYLAXIS: Advice(EMERGENCY_TITLE, EMERGENCY_STEPS),
    CHEST_PAIN: Advice(CHEST_PAIN_TITLE, CHEST_PAIN_STEPS),
    RECENT_REACTION: Advice(RECENT_TITLE, RECENT_STEPS),
    WATCH: Advice(WATCH_TITLE, WATCH_ADVICE),
}


@dataclass(frozen=True)
class Outcome:
    """``kind`` is what to show: ``anaphylaxis`` / ``chest_pain`` (``emergency`` is then true: booking
    stops), ``recent_reaction`` / ``watch`` (advice first; booking may go on once acknowledged),
    ``passed``; or "" with ``errors`` naming the unanswered questions."""

    kind: str = ""
    passed: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def emergency(self) -> bool:
        return self.kind in EMERGENCY_KINDS

    @property
    def advice(self) -> Advice | None:
        return ADVICE.get(self.kind)


def route(yes: frozenset[str]) -> str:
    """The outcome for the set of question keys answered yes (every other answer being no)."""
    kinds = {q.kind for q in QUESTIONS if q.key in yes}
    if ABC in kinds or (SKIN in kinds and GUT in kinds):
        return ANAPHYLAXIS
    # Chest pain with any skin, gut or dread sign: treat as anaphylaxis ("if in doubt, use your
    # adrenaline auto-injector", Anaphylaxis UK), never the chest-pain steps that leave adrenaline out.
    if CHEST in kinds and kinds & {SKIN, GUT, OTHER}:
        return ANAPHYLAXIS
    if CHEST in kinds:
        return CHEST_PAIN
    if RECENT in kinds:
        return RECENT_REACTION
    if kinds:
        return WATCH
    return PASSED


def _acknowledged(kind: str, form: Mapping[str, Any]) -> bool:
    if kind not in ACKNOWLEDGEABLE or str(form.get(ACK_FIELD) or "") != kind:
        return False
    return kind != RECENT_REACTION or str(form.get(RECENT_CONFIRM_FIELD) or "") == "yes"


def assess(form: Mapping[str, Any]) -> Outcome:
    """Read the posted form (``red_flag_<key>`` = ``yes`` / ``no``) without keeping any of it.

    A sign that calls for emergency help wins even when other questions are unanswered. Advice that she
    may go on from passes once the same answers come back with ``acknowledged=<kind>``.
    """
    values = {q.key: str(form.get(q.field) or "").strip().lower() for q in QUESTIONS}
    yes = frozenset(key for key, value in values.items() if value == "yes")
    kind = route(yes)
    if kind in EMERGENCY_KINDS:
        return Outcome(kind=kind)
    errors = {FIELD_PREFIX + key: ANSWER_EACH for key, value in values.items() if value not in ("yes", "no")}
    if errors:
        return Outcome(errors=errors)
    if kind == PASSED or _acknowledged(kind, form):
        return Outcome(kind=kind, passed=True)
    return Outcome(kind=kind)


def assess_api(screen: Any) -> Outcome | None:
    """The JSON form: ``{"all_no": true}``, or ``{key: bool}`` for every question. None when unusable.

    ``recent_reaction`` may be left out by older clients (it was added later). Advice she may go on from
    (``watch``, ``recent_reaction``) passes only with ``"acknowledged": KIND`` (and, after a reaction,
    ``"checked_since": true``): the client must have shown her the advice, as the page does.
    """
    if not isinstance(screen, Mapping):
        return None
    if screen.get("all_no") is True:
        return Outcome(kind=PASSED, passed=True)
    if screen.get("all_no") is False:
        return Outcome(kind=ANAPHYLAXIS)
    answers = {q.key: screen.get(q.key, False if q is RECENT_QUESTION else None) for q in QUESTIONS}
    yes = frozenset(key for key, value in answers.items() if value is True)
    kind = route(yes)
    if kind in EMERGENCY_KINDS:
        return Outcome(kind=kind)
    if not all(isinstance(value, bool) for value in answers.values()):
        return None
    if kind in ACKNOWLEDGEABLE:
        acknowledged = screen.get(ACK_FIELD) == kind and (
            kind != RECENT_REACTION or screen.get(RECENT_CONFIRM_FIELD) is True)
        return Outcome(kind=kind, passed=acknowledged)
    return Outcome(kind=kind, passed=True)


def passed_recently(passed_at: Any, now: datetime) -> bool:
    """Whether a screen passed at ``passed_at`` (seconds since the epoch) still counts at ``now``."""
    if isinstance(passed_at, bool) or not isinstance(passed_at, (int, float)):
        return False
    age = now.timestamp() - passed_at
    return 0 <= age <= VALID_FOR.total_seconds()
