"""The red-flag screen's routing as a table of answers -> outcome (WAO 2020, Resuscitation Council UK 2021,
NHS; docs/CLINICAL_SOURCES.md "Emergency screen"), and the order of the one list of emergency steps."""
from __future__ import annotations

import pytest

from app.intake import red_flags as rf

ALL_NO = {q.field: "no" for q in rf.QUESTIONS}


def answers(*yes: str, **extra: str) -> dict[str, str]:
    return {**ALL_NO, **{rf.FIELD_PREFIX + key: "yes" for key in yes}, **extra}


@pytest.mark.parametrize(("yes", "outcome"), [
    ((), rf.PASSED),
    # Airway, breathing or circulation: anaphylaxis advice, whatever else is ticked (WAO 2020 criterion 2).
    (("throat",), rf.ANAPHYLAXIS),
    (("breathing",), rf.ANAPHYLAXIS),
    (("voice",), rf.ANAPHYLAXIS),
    (("faint",), rf.ANAPHYLAXIS),
    (("faint", "chest_pain"), rf.ANAPHYLAXIS),
    (("breathing", "recent_reaction"), rf.ANAPHYLAXIS),
    # Skin or mucosa together with another system (WAO 2020 criterion 1).
    (("hives", "gut"), rf.ANAPHYLAXIS),
    (("hives", "breathing"), rf.ANAPHYLAXIS),
    (("hives", "gut", "doom"), rf.ANAPHYLAXIS),
    # Chest pain with any skin, gut or dread sign: the anaphylaxis steps, adrenaline first ("if in doubt,
    # use your adrenaline auto-injector", Anaphylaxis UK). Issue 23 point 1: hives + chest pain got
    # "sit down and rest" and no auto-injector step.
    (("chest_pain", "hives"), rf.ANAPHYLAXIS),
    (("chest_pain", "gut"), rf.ANAPHYLAXIS),
    (("chest_pain", "doom"), rf.ANAPHYLAXIS),
    (("chest_pain", "doom", "recent_reaction"), rf.ANAPHYLAXIS),
    (("chest_pain", "hives", "gut", "doom"), rf.ANAPHYLAXIS),
    # Chest pain alone (or with only a recent reaction): call the emergency number (NHS chest pain).
    (("chest_pain",), rf.CHEST_PAIN),
    (("chest_pain", "recent_reaction"), rf.CHEST_PAIN),
    # A severe reaction or adrenaline in the last 24 hours: biphasic-reaction advice first.
    (("recent_reaction",), rf.RECENT_REACTION),
    (("recent_reaction", "gut"), rf.RECENT_REACTION),
    # One non-ABC system on its own is not anaphylaxis: the chronic MCAS day must not hit the alarm.
    (("hives",), rf.WATCH),
    (("gut",), rf.WATCH),
    (("doom",), rf.WATCH),
    (("hives", "doom"), rf.WATCH),
    (("gut", "doom"), rf.WATCH),
])
def test_answers_route_to_the_right_advice(yes, outcome):
    result = rf.assess(answers(*yes))
    assert result.kind == outcome
    assert result.emergency is (outcome in (rf.ANAPHYLAXIS, rf.CHEST_PAIN))
    assert result.passed is (outcome == rf.PASSED)
    assert rf.assess_api({q.key: q.key in yes for q in rf.QUESTIONS}).kind == outcome


def test_every_single_sign_on_its_own_has_a_defined_outcome():
    singles = {q.key: rf.assess(answers(q.key)).kind for q in rf.QUESTIONS}
    assert singles == {"throat": rf.ANAPHYLAXIS, "breathing": rf.ANAPHYLAXIS, "voice": rf.ANAPHYLAXIS,
                       "faint": rf.ANAPHYLAXIS, "hives": rf.WATCH, "gut": rf.WATCH, "doom": rf.WATCH,
                       "chest_pain": rf.CHEST_PAIN, "recent_reaction": rf.RECENT_REACTION}


def test_the_anaphylaxis_steps_put_the_auto_injector_before_the_call():
    steps = [step.lower() for step in rf.EMERGENCY_STEPS]
    assert "auto-injector" in steps[0] and "without delay" in steps[0]
    assert "call the emergency number" in steps[1]
    assert "legs raised" in steps[2] and "sit up" in steps[2] and "left side" in steps[2] and "pregnant" in steps[2]
    assert "do not stand" in steps[3] and "even if you feel better" in steps[3]
    assert "second auto-injector" in steps[4] and "5 minutes" in steps[4] and "or you get worse" in steps[4]
    assert rf.EMAIL_EMERGENCY_LINE.index("auto-injector") < rf.EMAIL_EMERGENCY_LINE.index("emergency number")
    assert rf.PAGE_EMERGENCY_LINE.index("auto-injector") < rf.PAGE_EMERGENCY_LINE.index("emergency number")


@pytest.mark.parametrize(("kind", "hint"), [
    (rf.ABC, rf.NOW_HINT), (rf.SKIN, rf.CHANGE_HINT), (rf.GUT, rf.CHANGE_HINT), (rf.OTHER, rf.CHANGE_HINT),
    (rf.CHEST, rf.CHEST_HINT)])
def test_only_skin_gut_and_dread_may_be_answered_no_at_their_usual_level(kind, hint):
    assert {q.hint for q in rf.SIGNS if q.kind == kind} == {hint}
    assert ("usual level" in hint) is (kind in (rf.SKIN, rf.GUT, rf.OTHER))


def test_chest_pain_advice_calls_for_help_without_an_auto_injector_step():
    first = rf.CHEST_PAIN_STEPS[0].lower()
    assert "call the emergency number now" in first and "auto-injector" not in first


def test_every_combination_the_warning_signs_list_routes_to_the_anaphylaxis_steps():
    """The list shown on the flare and advice pages names exactly the routes to the anaphylaxis steps."""
    assert any("Chest pain together with" in sign for sign in rf.WARNING_SIGNS)
    for combination in (("hives", "gut"), ("chest_pain", "hives"), ("chest_pain", "gut"), ("chest_pain", "doom")):
        assert rf.route(frozenset(combination)) == rf.ANAPHYLAXIS


def test_chest_pain_advice_says_lie_down_not_sit_and_adrenaline_if_in_doubt():
    """Sitting in a chair can drop the blood pressure in a reaction (Anaphylaxis UK): lie down, sit up
    only if breathing is hard; and any skin, gut or dread sign joining in means the auto-injector."""
    text = " ".join(rf.CHEST_PAIN_STEPS).lower()
    assert "sit down" not in text and "rest while you wait" not in text
    assert "lie down while you wait, unless breathing is hard" in rf.CHEST_PAIN_STEPS[1].lower()
    last = rf.CHEST_PAIN_STEPS[2].lower()
    for sign in ("hives", "tummy cramps", "dread", "throat", "breathing", "fainting"):
        assert sign in last
    assert "auto-injector" in last and "if in doubt, use it" in last


def test_an_emergency_sign_wins_over_unanswered_questions():
    assert rf.assess({"red_flag_throat": "yes"}).kind == rf.ANAPHYLAXIS
    assert rf.assess({"red_flag_chest_pain": "yes"}).kind == rf.CHEST_PAIN


def test_unanswered_questions_are_named_when_nothing_calls_for_help():
    result = rf.assess({"red_flag_hives": "yes"})
    assert not result.passed and result.kind == ""
    assert set(result.errors) == {q.field for q in rf.QUESTIONS} - {"red_flag_hives"}


@pytest.mark.parametrize(("form", "passed"), [
    (answers("doom"), False),
    (answers("doom", acknowledged="watch"), True),
    (answers("doom", acknowledged="recent_reaction"), False),
    (answers("recent_reaction", acknowledged="recent_reaction"), False),  # the check-up not confirmed
    (answers("recent_reaction", acknowledged="recent_reaction", checked_since="yes"), True),
    (answers("recent_reaction", acknowledged="watch", checked_since="yes"), False),
    (answers("breathing", acknowledged="watch"), False),  # an emergency is never acknowledged away
    (answers("chest_pain", acknowledged="chest_pain"), False),
])
def test_advice_is_passed_only_once_acknowledged(form, passed):
    assert rf.assess(form).passed is passed


@pytest.mark.parametrize(("screen", "kind", "passed"), [
    ({"all_no": True}, rf.PASSED, True),
    ({"all_no": False}, rf.ANAPHYLAXIS, False),
    # Older clients that do not know the 24-hour question still work.
    ({q.key: False for q in rf.SIGNS}, rf.PASSED, True),
    ({**{q.key: False for q in rf.SIGNS}, "gut": True}, rf.WATCH, False),
    ({**{q.key: False for q in rf.SIGNS}, "gut": True, "acknowledged": "watch"}, rf.WATCH, True),
    ({**{q.key: False for q in rf.SIGNS}, "recent_reaction": True, "acknowledged": "recent_reaction"},
     rf.RECENT_REACTION, False),
    ({**{q.key: False for q in rf.SIGNS}, "recent_reaction": True, "acknowledged": "recent_reaction",
      "checked_since": True}, rf.RECENT_REACTION, True),
])
def test_the_api_form_routes_like_the_page(screen, kind, passed):
    outcome = rf.assess_api(screen)
    assert outcome is not None and outcome.kind == kind and outcome.passed is passed


@pytest.mark.parametrize("screen", ["no", None, {"throat": False}, {**{q.key: False for q in rf.SIGNS}, "gut": "yes"}])
def test_the_api_refuses_an_unusable_screen(screen):
    assert rf.assess_api(screen) is None
