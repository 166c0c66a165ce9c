"""The medication tracker's pure parts: dose steps, the dose on a day, adherence, the safety alerts, and
the diary trend with medication changes."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.diary.entries import DiaryError
from app.diary.medication import Change, adherence, alerts, changes, dose_on, parse_steps
from app.diary.trend import MAX_BURDEN, daily, describe, svg
from app.models.diary import DiaryPreferences, MedicationLog, MedicationPlan

LDN_TITRATION = "2026-12-01 0.5 mg\n2026-12-15, 1.5 mg\n2027-01-05: 3 mg\n2027-01-26 4.5 mg"


def plan(medicine: str = "Low-dose naltrexone", steps: str = LDN_TITRATION, stopped_on=None, logs=()) -> MedicationPlan:
    p = MedicationPlan(medicine=medicine, steps=[{"from": s.starts.isoformat(), "dose": s.dose}
                                                 for s in parse_steps(steps)], stopped_on=stopped_on)
    p.logs = [MedicationLog(taken_on=day, status=status) for day, status in logs]
    return p


def test_an_ldn_titration_gives_the_dose_of_each_day():
    p = plan()
    assert [dose_on(p, date(2026, 11, 30)), dose_on(p, date(2026, 12, 1)), dose_on(p, date(2026, 12, 20)),
            dose_on(p, date(2027, 3, 1))] == [None, "0.5 mg", "1.5 mg", "4.5 mg"]
    assert dose_on(plan(stopped_on=date(2027, 2, 1)), date(2027, 2, 1)) is None


@pytest.mark.parametrize("text, message", [
    ("", "at least one dose step"),
    ("tomorrow 1 mg", "Line 1: write a date then the dose"),
    ("2026-02-30 1 mg", "Line 1: write a date then the dose"),
    ("2026-12-01 1 mg\n2026-12-01 2 mg", "Line 2: each step starts after the one before"),
])
def test_bad_dose_steps_are_refused_with_the_line(text, message):
    with pytest.raises(DiaryError) as refused:
        parse_steps(text)
    assert message in refused.value.errors["steps"]


def test_adherence_counts_days_with_a_dose_only():
    p = plan(steps="2026-12-03 1.5 mg", logs=[(date(2026, 12, 3), "taken"), (date(2026, 12, 4), "missed")])
    result = adherence(p, date(2026, 12, 1), date(2026, 12, 6))
    assert (result.taken, result.missed, result.unrecorded) == (1, 1, 2)
    assert result.text == "taken 1, missed 1, not recorded 2"


@pytest.mark.parametrize("plans, prefs, intake, expected", [
    ([plan()], None, None, []),
    ([plan()], DiaryPreferences(takes_opioid="yes"), None, ["ldn_opioid"]),
    ([plan()], DiaryPreferences(takes_opioid="unsure"), None, ["ldn_opioid"]),
    ([plan(), plan("Tramadol", "2026-12-01 50 mg")], None, None, ["ldn_opioid"]),
    ([plan()], None, {"medications": [{"name": "Co-codamol 30/500"}]}, ["ldn_opioid"]),
    ([plan("Cetirizine", "2026-12-01 10 mg")], DiaryPreferences(takes_opioid="yes"), None, []),
    ([plan("Cetirizine", "2026-12-01 10 mg")], DiaryPreferences(pregnant="yes"), None, ["pregnancy"]),
    ([plan()], DiaryPreferences(pregnant="unsure", takes_opioid="yes"), None, ["ldn_opioid", "pregnancy"]),
    ([plan(stopped_on=date(2026, 12, 10))], DiaryPreferences(pregnant="yes", takes_opioid="yes"), None, []),
    ([], DiaryPreferences(pregnant="yes"), None, []),
])
def test_safety_alerts(plans, prefs, intake, expected):
    assert [a.kind for a in alerts(plans, prefs, intake, date(2026, 12, 20))] == expected


def test_starts_dose_changes_and_stops_are_changes_in_date_order():
    found = changes([plan(stopped_on=date(2027, 2, 1))])
    assert [(c.on.isoformat(), c.text) for c in found] == [
        ("2026-12-01", "Start Low-dose naltrexone 0.5 mg"), ("2026-12-15", "Dose Low-dose naltrexone 1.5 mg"),
        ("2027-01-05", "Dose Low-dose naltrexone 3 mg"), ("2027-01-26", "Dose Low-dose naltrexone 4.5 mg"),
        ("2027-02-01", "Stop Low-dose naltrexone")]


def test_the_trend_takes_each_systems_highest_rating_of_her_local_day_and_leaves_gaps():
    london = ZoneInfo("Europe/London")
    ratings = [(datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc), {"skin": 1}),  # 23:30 BST, 1 July
               (datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc), {"skin": 3}),  # 00:30 BST, 2 July
               (datetime(2026, 7, 2, 12, 0, tzinfo=timezone.utc), {"skin": 2, "neuro": 2})]
    trend = daily(ratings, london, date(2026, 7, 1), date(2026, 7, 3),
                  [Change(date(2026, 7, 2), "LDN", "Start LDN 0.5 mg"), Change(date(2026, 8, 1), "LDN", "later")])
    assert [d.burden for d in trend.days] == [1, 5, None]
    assert [c.text for c in trend.changes] == ["Start LDN 0.5 mg"]
    assert describe(trend) == (f"Daily symptom burden (0 to {MAX_BURDEN}) over 3 days, 2 with entries, highest 5, "
                               "latest 5, medication changes: 2 Jul Start LDN 0.5 mg.")
    chart = str(svg(trend, "t"))
    assert chart.count('class="trend-change"') == 1 and chart.count('class="trend-point"') == 2
    assert 'role="img"' in chart and "<desc" in chart
