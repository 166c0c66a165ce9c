"""The trigger diary, the flare log and the medication tracker, through their pages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.diary import reminders
from app.diary.export import erase_diary
from app.extensions import db
from app.intake.red_flags import EMERGENCY_STEPS, EMERGENCY_TITLE, QUESTIONS
from app.models.audit import AuditEvent
from app.models.diary import DiaryEntry, Flare, FlareLabSettings, MedicationLog, MedicationPlan, TryptaseResult
from app.models.notify import OutboxMessage
from app.scheduling.profiles import profile_for
from tests.support.seeded import seed_two_patients
from tests.support.visitors import Visitor


@pytest.fixture
def seeded(app):
    """The two-patient practice, with A's seeded diary cleared: each test writes what it reads."""
    s = seed_two_patients()
    erase_diary(s.a)
    db.session.commit()
    return s


@pytest.fixture
def a(app, seeded):
    return Visitor(app, seeded.a.email)


@pytest.fixture
def practitioner(app, seeded):
    return Visitor(app, seeded.practitioner.email)


def local_now(zone: str = "Europe/London") -> str:
    from zoneinfo import ZoneInfo

    return (utcnow() - timedelta(hours=1)).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_a_meal_with_tags_is_stored_in_utc_and_listed(a, seeded):
    response = a.post("/account/diary/exposure", {"text": "Aged  Cheddar", "tags": ["cured", "leftover"],
                                                  "occurred_at": "", "cycle_day": "12"})
    assert response.status_code == 303
    entry = db.session.scalar(select(DiaryEntry))
    assert (entry.text, entry.tags, entry.cycle_day, entry.patient_id) == ("Aged Cheddar", ["cured", "leftover"], 12,
                                                                            seeded.a.id)
    page = a.client.get("/account/diary").get_data(as_text=True)
    assert "Aged Cheddar" in page and "cured or smoked, leftover" in page


def test_a_local_time_is_read_in_the_patients_zone(a, seeded):
    typed = local_now()
    a.post("/account/diary/exposure", {"text": "tea", "occurred_at": typed})
    entry = db.session.scalar(select(DiaryEntry))
    from zoneinfo import ZoneInfo
    assert entry.occurred_at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M") == typed


@pytest.mark.parametrize("form, field, message", [
    ({"text": "", "tags": []}, "text", "choose at least one tag"),
    ({"text": "x" * 201}, "text", "under 200 characters"),
    ({"text": "tea", "cycle_day": "0"}, "cycle_day", "1 to 60"),
    ({"text": "tea", "occurred_at": "yesterday"}, "occurred_at", "like 2026-03-29 18:30"),
    ({"text": "tea", "occurred_at": "2999-01-01T10:00"}, "occurred_at", "in the future"),
    ({"text": "", "tags": ["not-a-tag"]}, "text", "choose at least one tag"),
])
def test_bad_exposures_are_refused_with_a_message(a, form, field, message):
    response = a.post("/account/diary/exposure", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(DiaryEntry.id))) == 0


def test_a_time_the_clocks_skip_is_refused(a, seeded, monkeypatch):
    # 29 March 2026, 01:30 did not happen in London (01:00 -> 02:00).
    monkeypatch.setattr("app.web.diary.utcnow", lambda: datetime(2026, 3, 30, 12, tzinfo=timezone.utc))
    response = a.post("/account/diary/exposure", {"text": "tea", "occurred_at": "2026-03-29T01:30"})
    assert response.status_code == 422 and "clocks" in response.get_data(as_text=True)
    ok = a.post("/account/diary/exposure", {"text": "tea", "occurred_at": "2026-03-29T02:30"})
    assert ok.status_code == 303
    assert db.session.scalar(select(DiaryEntry.occurred_at)) == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)


def test_quick_symptom_entry_and_the_full_grid(a):
    assert a.post("/account/diary/symptoms", {"system": "skin", "severity": "2"}).status_code == 303
    assert a.post("/account/diary/symptoms", {"rating_gastrointestinal": "3", "rating_neuro": "0"}).status_code == 303
    ratings = db.session.scalars(select(DiaryEntry.ratings).order_by(DiaryEntry.id)).all()
    assert ratings == [{"skin": 2}, {"gastrointestinal": 3, "neuro": 0}]
    bad = a.post("/account/diary/symptoms", {"system": "skin"})
    assert bad.status_code == 422 and "how strong" in bad.get_data(as_text=True)
    assert a.post("/account/diary/symptoms", {"rating_skin": "4"}).status_code == 422


def test_an_entry_can_be_changed_for_48_hours_then_it_is_kept(a):
    a.post("/account/diary/exposure", {"text": "tea"})
    entry = db.session.scalar(select(DiaryEntry))
    assert a.post(f"/account/diary/entries/{entry.id}", {"text": "green tea"}).status_code == 303
    db.session.refresh(entry)
    assert entry.text == "green tea"
    entry.created_at = utcnow() - timedelta(hours=48, minutes=1)
    db.session.commit()
    locked = a.post(f"/account/diary/entries/{entry.id}", {"text": "coffee"})
    assert locked.status_code == 409 and "48 hours" in locked.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.text == "green tea"
    assert "Change<" not in a.client.get("/account/diary").get_data(as_text=True)


def test_a_flare_starts_now_and_shows_the_emergency_signs_first(a, seeded):
    response = a.post("/account/diary/flares")
    assert response.status_code == 303
    flare = db.session.scalar(select(Flare))
    assert abs((flare.onset_at - utcnow()).total_seconds()) < 60
    page = a.client.get(response.headers["Location"]).get_data(as_text=True)
    first_sign, steps = page.index(QUESTIONS[0].text), page.index(EMERGENCY_STEPS[0])
    assert first_sign < steps < page.index("Tryptase results")
    assert "acute tryptase" not in page  # the practitioner has not set it up


def test_a_second_tap_within_the_hour_opens_the_same_flare(a):
    first = a.post("/account/diary/flares").headers["Location"]
    assert a.post("/account/diary/flares").headers["Location"] == first
    assert db.session.scalar(select(func.count(Flare.id))) == 1
    flare = db.session.scalar(select(Flare))
    flare.onset_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    assert a.post("/account/diary/flares").headers["Location"] != first


def test_an_ldn_plan_for_a_patient_on_an_opioid_alerts_the_practitioner_once(a, practitioner, seeded):
    a.post("/account/diary/medicines/answers", {"pregnant": "no", "takes_opioid": "yes"})
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "diary_medication_alert")) == 0  # nothing to alert about yet
    today = utcnow().date().isoformat()
    for _ in range(2):
        practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                          {"medicine": "LDN", "steps": f"{today} 0.5 mg"})
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "diary_medication_alert")) == 1


def test_the_lab_advice_shows_once_the_practitioner_sets_it_up(a, practitioner, seeded):
    assert practitioner.post("/practice/diary-settings", {"lab_order": "Serum tryptase, code TRY-7",
                                                          "lab_hours": "Mon-Sat 7am-7pm"}).status_code == 303
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    page = a.client.get(f"/account/diary/flares/{flare.id}").get_data(as_text=True)
    # NICE CG134 timing (issue 23 point 7): not "1-4 hours".
    assert "An acute tryptase, drawn as soon as possible, helps" in page
    assert "ideally within 2 hours" in page and "no later than 4 hours" in page and "1–4 hours" not in page
    assert "Serum tryptase, code TRY-7" in page and "Mon-Sat 7am-7pm" in page
    assert page.index(EMERGENCY_STEPS[0]) < page.index("TRY-7")
    hours_only = practitioner.post("/practice/diary-settings", {"lab_order": "", "lab_hours": "9-5"})
    assert hours_only.status_code == 422
    assert db.session.scalar(select(FlareLabSettings.lab_order)) == "Serum tryptase, code TRY-7"


def test_a_yes_to_a_red_flag_during_a_flare_shows_the_emergency_title(a):
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    answers = {q.field: "no" for q in QUESTIONS} | {QUESTIONS[1].field: "yes"}
    page = a.post(f"/account/diary/flares/{flare.id}/check", answers).get_data(as_text=True)
    assert EMERGENCY_TITLE in page
    assert a.post(f"/account/diary/flares/{flare.id}/check", {}).status_code == 422


@pytest.mark.parametrize(("yes", "adrenaline_first"), [
    (("hives", "chest_pain"), True),  # issue 23: this got "sit down and rest" and no auto-injector step
    (("gut", "chest_pain"), True),
    (("doom", "chest_pain"), True),
    (("chest_pain",), False),
])
def test_chest_pain_during_a_flare_with_skin_gut_or_dread_signs_gets_the_anaphylaxis_steps(a, yes, adrenaline_first):
    from markupsafe import escape

    from app.intake.red_flags import CHEST_PAIN_STEPS, CHEST_PAIN_TITLE
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    answers = {q.field: "no" for q in QUESTIONS} | {f"red_flag_{key}": "yes" for key in yes}
    page = a.post(f"/account/diary/flares/{flare.id}/check", answers).get_data(as_text=True)
    alert = page[page.index('class="alert emergency"'):page.index("</div>", page.index('class="alert emergency"'))]
    if adrenaline_first:
        assert f"<h1 id=\"emergency-title\">{EMERGENCY_TITLE}" in alert
        assert str(escape(EMERGENCY_STEPS[0])) in alert and CHEST_PAIN_TITLE not in alert
    else:
        assert f"<h1 id=\"emergency-title\">{CHEST_PAIN_TITLE}" in alert
        assert str(escape(CHEST_PAIN_STEPS[1])) in alert and "Sit down" not in alert
        assert str(escape(EMERGENCY_STEPS[0])) not in alert


def test_the_flare_check_says_how_to_answer_each_sign(a):
    from markupsafe import escape

    from app.intake.red_flags import CHANGE_HINT, NOW_HINT
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    page = a.client.get(f"/account/diary/flares/{flare.id}").get_data(as_text=True)
    throat = page[page.index("<legend>Swelling of your tongue"):]
    assert str(escape(NOW_HINT)) in throat[:throat.index("</fieldset>")]
    gut = page[page.index("<legend>Severe tummy cramps"):]
    assert str(escape(CHANGE_HINT)) in gut[:gut.index("</fieldset>")]


def test_a_usual_symptom_on_its_own_during_a_flare_gets_watch_advice_not_the_alarm(a):
    from app.intake.red_flags import WATCH_TITLE
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    answers = {q.field: "no" for q in QUESTIONS} | {"red_flag_gut": "yes"}
    response = a.post(f"/account/diary/flares/{flare.id}/check", answers)
    assert response.status_code == 303
    page = a.client.get(response.headers["Location"]).get_data(as_text=True)
    assert WATCH_TITLE in page and f"<h1 id=\"emergency-title\">{EMERGENCY_TITLE}" not in page


def test_ending_a_flare_and_recording_tryptase_gives_the_practitioner_the_rule(a, practitioner, seeded, app):
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    flare.onset_at = utcnow() - timedelta(hours=30)
    db.session.commit()
    assert a.post(f"/account/diary/flares/{flare.id}/end", {"ended_at": ""}).status_code == 303
    assert a.post(f"/account/diary/flares/{flare.id}/end", {}).status_code == 409
    from zoneinfo import ZoneInfo
    drawn = (flare.onset_at + timedelta(hours=2)).astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")
    assert a.post(f"/account/diary/flares/{flare.id}/tryptase",
                  {"kind": "acute", "value": "9.0", "drawn_at": drawn}).status_code == 303
    assert a.post(f"/account/diary/flares/{flare.id}/tryptase", {"kind": "baseline", "value": "5"}).status_code == 303
    assert a.post(f"/account/diary/flares/{flare.id}/tryptase", {"kind": "acute", "value": "-1"}).status_code == 422
    assert db.session.scalar(select(func.count(TryptaseResult.id))) == 2
    page = practitioner.client.get(f"/practice/patients/{seeded.a.id}").get_data(as_text=True)
    # 5.0 x 1.2 + 2 = 8.0: an acute 9.0 meets the rule.
    assert "the 20% + 2 threshold is 8.0 ng/mL, so this meets the consensus rise" in page
    assert page.index("Between visits") < page.index('id="summary-title"')
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "diary", AuditEvent.action == "view", AuditEvent.patient_id == seeded.a.id)) == 1


def test_a_baseline_reminder_goes_once_24_hours_after_the_flare_ends(a, seeded, app):
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    flare.ended_at = utcnow() - timedelta(hours=23)
    db.session.commit()
    assert reminders.send_diary_reminders(utcnow()) == 0
    assert reminders.send_diary_reminders(utcnow() + timedelta(hours=2)) == 1
    assert reminders.send_diary_reminders(utcnow() + timedelta(hours=3)) == 0
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "flare_baseline_reminder"))
    assert message.to == seeded.a.email and f"/account/diary/flares/{flare.id}" in message.text_body


def test_the_evening_reminder_is_opt_in_once_a_day_and_skipped_after_logging(a, seeded, app):
    evening = datetime(2026, 7, 1, 19, 30, tzinfo=timezone.utc) - timedelta(hours=1)  # 19:30 in London (BST)
    assert reminders.send_diary_reminders(evening) == 0  # not opted in
    a.post("/account/diary/reminders", {"evening_reminder": "on"})
    assert reminders.send_diary_reminders(evening - timedelta(hours=2)) == 0  # 17:30: too early
    assert reminders.send_diary_reminders(evening) == 1
    assert reminders.send_diary_reminders(evening + timedelta(minutes=30)) == 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-diary-reminders"])
    assert result.exit_code == 0 and "queued" in result.output


def test_medication_plan_log_and_ldn_opioid_alert(a, practitioner, seeded):
    base = f"/practice/patients/{seeded.a.id}/medicines"
    bad = practitioner.post(base, {"medicine": "Low-dose naltrexone", "steps": "2026-12-01 0.5 mg\n2026-11-01 1 mg"})
    assert bad.status_code == 422 and "after the one before" in bad.get_data(as_text=True)
    today = utcnow().date()
    steps = f"{(today - timedelta(days=14)).isoformat()} 0.5 mg\n{(today - timedelta(days=7)).isoformat()} 1.5 mg"
    assert practitioner.post(base, {"medicine": "Low-dose naltrexone (LDN)", "formulation": "compounded IR",
                                    "steps": steps}).status_code == 303
    plan = db.session.scalar(select(MedicationPlan))
    page = a.client.get("/account/diary/medicines").get_data(as_text=True)
    assert "Low-dose naltrexone (LDN)" in page and "Today: <strong>1.5 mg</strong>" in page
    assert a.post(f"/account/diary/medicines/{plan.id}/log", {"status": "taken", "side_effects": "vivid dreams"}
                  ).status_code == 303
    assert a.post(f"/account/diary/medicines/{plan.id}/log", {"status": "sometimes"}).status_code == 422
    assert db.session.scalar(select(MedicationLog.side_effects)) == "vivid dreams"
    assert a.post("/account/diary/medicines/answers", {"pregnant": "no", "takes_opioid": "yes"}).status_code == 303
    alert = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "diary_medication_alert"))
    assert alert.to == seeded.practitioner.email and "naltrexone" not in alert.text_body  # no health detail by email
    panel = practitioner.client.get(f"/practice/patients/{seeded.a.id}").get_data(as_text=True)
    assert "Low-dose naltrexone with an opioid" in panel and "taken 1, missed 0" in panel


def test_pregnancy_alert_from_the_tracker_question(a, practitioner, seeded):
    today = utcnow().date().isoformat()
    practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                      {"medicine": "Cetirizine", "steps": f"{today} 10 mg"})
    a.post("/account/diary/medicines/answers", {"pregnant": "unsure", "takes_opioid": "no"})
    page = practitioner.client.get(f"/practice/patients/{seeded.a.id}/medicines").get_data(as_text=True)
    assert "may be pregnant (not sure)" in page


def test_stopping_a_plan_is_drawn_as_a_change(a, practitioner, seeded):
    start = (utcnow().date() - timedelta(days=10)).isoformat()
    practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                      {"medicine": "Ketotifen", "steps": f"{start} 1 mg"})
    plan = db.session.scalar(select(MedicationPlan))
    assert practitioner.post(f"/practice/patients/{seeded.a.id}/medicines/{plan.id}/stop", {}).status_code == 303
    assert practitioner.post(f"/practice/patients/{seeded.a.id}/medicines/{plan.id}/stop", {}).status_code == 409
    a.post("/account/diary/symptoms", {"system": "skin", "severity": "1"})
    page = a.client.get("/account/diary/medicines").get_data(as_text=True)
    assert "Stop Ketotifen" in page and "Start Ketotifen 1 mg" in page


def test_patterns_are_counts_with_the_label(a, seeded):
    now = utcnow()
    for n in range(6):
        at = now - timedelta(days=3 * n + 1)
        db.session.add(DiaryEntry(patient_id=seeded.a.id, kind="exposure", occurred_at=at, text="prawns", tags=[]))
        db.session.add(DiaryEntry(patient_id=seeded.a.id, kind="symptoms", occurred_at=at + timedelta(hours=2),
                                  ratings={"skin": 3}))
    for day in set(range(1, 19)) - {3 * n + 1 for n in range(6)}:  # days without prawns, to compare with
        db.session.add(DiaryEntry(patient_id=seeded.a.id, kind="symptoms", occurred_at=now - timedelta(days=day),
                                  ratings={"skin": 0}))
    db.session.add(DiaryEntry(patient_id=seeded.a.id, kind="exposure", occurred_at=now - timedelta(days=60),
                              text="rice", tags=[]))
    db.session.commit()
    page = a.client.get("/account/diary").get_data(as_text=True)
    assert "A pattern to discuss, not a verdict" in page
    assert "flared within 6 hours after <strong>prawns</strong> 6 of 6 times" in page
    patterns = page.split('id="patterns-title"')[1].split("</section>")[0]
    assert "%" not in patterns
    assert ('<th data-label="After" scope="row">prawns</th><td data-label="Part of the body">Skin</td>'
            '<td data-label="Within 6 hours">6 of 6 times') in patterns  # the counts behind it
    assert "rice" not in patterns  # logged once: nothing compared


def test_a_decimal_tryptase_keeps_one_decimal(a):
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    a.post(f"/account/diary/flares/{flare.id}/tryptase", {"kind": "baseline", "value": "4,25"})
    assert db.session.scalar(select(TryptaseResult.value_ng_ml)) in (Decimal("4.2"), Decimal("4.3"))


def test_the_practitioner_must_treat_the_patient(practitioner, seeded, make_user):
    stranger = make_user("stranger@example.com")
    assert practitioner.client.get(f"/practice/patients/{stranger.id}/medicines").status_code == 404
    assert profile_for(seeded.practitioner) is not None


def test_the_appointment_page_shows_the_diary_since_the_last_visit(practitioner, seeded):
    """Issue 24 point 3: visit preparation shows the diary and flares since the patient's last visit (a
    cancelled one does not count); the patient page keeps the last 30 days."""
    from app.models.scheduling import CANCELLED, COMPLETED
    from tests.support.seeded import appointment_row

    now = utcnow()
    last = appointment_row(seeded.a, seeded.follow_up.consultation_type, status=COMPLETED,
                           start=(now - timedelta(days=50)).replace(minute=0, second=0, microsecond=0))
    appointment_row(seeded.a, seeded.follow_up.consultation_type, status=CANCELLED,
                    start=(now - timedelta(days=20)).replace(minute=0, second=0, microsecond=0))
    for days, text in ((60, "Before the visit"), (40, "After the visit"), (5, "This week")):
        db.session.add(DiaryEntry(patient_id=seeded.a.id, kind="exposure", text=text,
                                  occurred_at=now - timedelta(days=days)))
    db.session.add(Flare(patient_id=seeded.a.id, onset_at=now - timedelta(days=45), ended_at=now - timedelta(days=44),
                         note="Flare after the visit"))
    db.session.commit()
    from zoneinfo import ZoneInfo

    visit_day = last.starts_at.astimezone(ZoneInfo(profile_for(seeded.practitioner).timezone))
    page = practitioner.client.get(f"/practice/appointments/{seeded.follow_up.id}").get_data(as_text=True)
    assert f"Between visits: since the last visit, {visit_day.strftime('%A %-d %B %Y')}</h2>" in page
    assert "2 diary entries since" in page and "Flare after the visit" in page
    patient_page = practitioner.client.get(f"/practice/patients/{seeded.a.id}").get_data(as_text=True)
    assert "Between visits: the last 30 days" in patient_page
    assert "1 diary entry in 30 days" in patient_page and "Flare after the visit" not in patient_page


@pytest.mark.frozen_at(datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc))
def test_adherence_counts_a_dose_on_the_patients_day_while_the_practitioner_is_still_on_yesterday(
        frozen, seeded, a, practitioner):
    """02:00 UTC: 8 December for the patient in London, still 7 December for the practitioner in New York.
    The dose she logs for her today is counted on the practitioner's panel. (`frozen` first: the practice
    is seeded in the frozen time.)"""
    s = seeded
    assert profile_for(s.practitioner).timezone == "America/New_York" and s.a.timezone == "Europe/London"
    assert practitioner.post(f"/practice/patients/{s.a.id}/medicines", {
        "medicine": "Cetirizine", "steps": "2026-12-01 10 mg"}).status_code == 303
    plan = db.session.scalar(select(MedicationPlan))
    assert a.post(f"/account/diary/medicines/{plan.id}/log", {"status": "taken"}).status_code == 303
    assert db.session.scalar(select(MedicationLog.taken_on)).isoformat() == "2026-12-08"
    panel = practitioner.client.get(f"/practice/patients/{s.a.id}").get_data(as_text=True)
    assert "Cetirizine: taken 1, missed 0" in panel


def test_after_more_than_a_year_since_the_last_visit_the_panel_shows_the_last_12_months(practitioner, seeded):
    """README: since the last visit, at most a year (the diary's correlation period)."""
    from app.models.scheduling import COMPLETED
    from tests.support.seeded import appointment_row

    now = utcnow()
    appointment_row(seeded.a, seeded.follow_up.consultation_type, status=COMPLETED,
                    start=(now - timedelta(days=500)).replace(minute=0, second=0, microsecond=0))
    for days in (450, 300):
        db.session.add(DiaryEntry(patient_id=seeded.a.id, kind="exposure", text="tea",
                                  occurred_at=now - timedelta(days=days)))
    db.session.commit()
    page = practitioner.client.get(f"/practice/appointments/{seeded.follow_up.id}").get_data(as_text=True)
    assert "(the last 12 months shown)</h2>" in page
    assert "1 diary entry since" in page  # the one 450 days ago is outside the year
