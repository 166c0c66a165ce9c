"""Issue 23, point 5: opioids by name (generic and brand, app/data/opioids.txt: BNF + naltrexone SmPC),
and the LDN alerts from her intake answers. Tables: names -> alert, answers -> alert."""
from __future__ import annotations

from datetime import date

import pytest

from app.clinical.medicines import names_medicine, opioid_names, opioids_in
from app.diary.entries import DiaryError
from app.diary.medication import alerts, check_ldn_doses, parse_steps
from app.models.diary import DiaryPreferences, MedicationPlan

TODAY = date(2026, 12, 20)


def plan(medicine: str = "Low-dose naltrexone", steps: str = "2026-12-01 1.5 mg") -> MedicationPlan:
    return MedicationPlan(medicine=medicine, steps=[{"from": s.starts.isoformat(), "dose": s.dose}
                                                    for s in parse_steps(steps)])


def kinds(found) -> list[str]:
    return [a.kind for a in found]


@pytest.mark.parametrize("name, alert", [
    # The review's misses: each now raises the LDN-opioid alert.
    ("OxyContin 10 mg", True), ("Oramorph 10 mg/5 ml", True), ("co-dydramol 10/500", True),
    ("Suboxone", True), ("Butrans 5 patch", True), ("Tramacet", True), ("Percocet", True), ("Vicodin", True),
    ("Zapain", True), ("codeine linctus", True),
    # Generics, methadone and buprenorphine included; any case and spacing.
    ("Methadone 60 mg", True), ("buprenorphine", True), ("MORPHINE sulfate", True), ("Tramadol 50mg", True),
    ("Fentanyl patch", True), ("dihydrocodeine", True), ("Tapentadol", True), ("Co-codamol 30/500", True),
    ("Tylenol with  codeine", True), ("MST Continus", True), ("Nurofen Plus", True), ("Lomotil", True),
    # Not opioids: the antagonist itself, antihistamines, a word that merely contains a name.
    ("Naltrexone 4.5 mg", False), ("LDN", False), ("Cetirizine", False), ("Fexofenadine 180 mg", False),
    ("Famotidine", False), ("Paracetamol", False), ("Ibuprofen", False), ("Nurofen", False), ("", False),
])
def test_opioid_names_raise_the_ldn_alert(name, alert):
    assert bool(opioids_in(name)) is alert
    found = alerts([plan()], None, {"medications": [{"name": name}]}, TODAY)
    assert kinds(found) == (["ldn_opioid"] if alert else [])
    if alert:
        assert name in found[0].text
    # The same name as another plan beside LDN.
    if name:
        assert kinds(alerts([plan(), plan(name, "2026-12-01 10 mg")], None, None, TODAY)) == (
            ["ldn_opioid"] if alert else [])


def test_the_list_is_data_with_methadone_and_buprenorphine():
    names = opioid_names()
    assert {"methadone", "buprenorphine", "oxycontin", "zapain"} <= set(names) and len(names) > 100


@pytest.mark.parametrize("intake, prefs, expected", [
    ({"opioid_use": "yes"}, None, ["ldn_opioid"]),
    ({"opioid_use": "not_sure"}, None, ["ldn_opioid"]),
    ({"opioid_use": "no"}, None, []),
    ({"opioid_recent": "yes"}, None, ["ldn_opioid"]),  # 2026.3: in the last 7-10 days
    ({"pregnancy": {"selected": ["pregnant"], "detail": ""}}, None, ["pregnancy"]),
    ({"pregnancy": {"selected": ["breastfeeding"], "detail": ""}}, None, ["pregnancy"]),
    ({"pregnancy": {"selected": ["none"], "detail": ""}}, None, []),
    ({"pregnancy": {"selected": ["pregnant"], "detail": ""}}, DiaryPreferences(pregnant="no"), ["pregnancy"]),
    ({"opioid_use": "yes", "pregnancy": {"selected": ["pregnant"], "detail": ""}}, None,
     ["ldn_opioid", "pregnancy"]),
])
def test_her_intake_answers_raise_the_alerts(intake, prefs, expected):
    found = alerts([plan()], prefs, intake, TODAY)
    assert kinds(found) == expected
    if "pregnancy" in expected and prefs is None:
        assert "(her intake)" in found[-1].text


@pytest.mark.parametrize("steps, ok", [
    ("2026-12-01 0.1 mg", True), ("2026-12-01 4.5 mg", True), ("2026-12-01 1,5 mg", True),
    ("2026-12-01 500 micrograms", True), ("2026-12-01 100 mcg", True),
    ("2026-12-01 45 mg", False),  # the review's case
    ("2026-12-01 50 mg", False), ("2026-12-01 4.6 mg", False), ("2026-12-01 0.05 mg", False),
    ("2026-12-01 3 ml", False), ("2026-12-01 one capsule", False),
    ("2026-12-01 0.5 mg\n2026-12-15 45 mg", False),
])
def test_ldn_doses_are_range_checked(steps, ok):
    parsed = parse_steps(steps)
    if ok:
        check_ldn_doses(parsed)
    else:
        with pytest.raises(DiaryError) as refused:
            check_ldn_doses(parsed)
        assert "Line" in refused.value.errors["steps"]


@pytest.mark.parametrize("text, medicine", [
    ("Cetirizine", True), ("cetirizine 10mg", True), ("Fexofenadine", True), ("Famotidine", True),
    ("Sodium cromoglicate", True), ("LDN", True), ("Oramorph", True), ("Aged cheese", False),
    ("Spinach", False), ("Leftover curry", False),
])
def test_diary_entries_naming_a_medicine_are_recognised(text, medicine):
    assert names_medicine(text) is medicine
