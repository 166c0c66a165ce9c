"""Issue 23 in the diary, through its pages: flares end (and take an acute sample) in the minute they
started, a flare started by mistake can be deleted after a confirmation, medicines are left out of patterns
and every pattern carries its caution, LDN plan doses are range-checked, her intake answers raise the LDN
alerts, and a high baseline tryptase is flagged for the practitioner."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.diary.export import erase_diary
from app.extensions import db
from app.intake import service as intake_service
from app.models.audit import AuditEvent
from app.models.diary import DiaryEntry, Flare, MedicationPlan, TryptaseResult
from app.models.intake import IntakeResponse
from tests.support.seeded import seed_two_patients
from tests.support.visitors import Visitor


@pytest.fixture
def seeded(app):
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


def a_flare_with_seconds(a, seconds: int = 30) -> Flare:
    """A flare whose onset is 30 seconds into a minute, as a real tap is: the form's times are whole minutes."""
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    flare.onset_at = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=1) + timedelta(seconds=seconds)
    db.session.commit()
    return flare


def minute_of(flare: Flare, zone: str) -> str:
    return flare.onset_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_a_flare_can_be_ended_in_the_minute_it_started(a, seeded):
    flare = a_flare_with_seconds(a)
    same_minute = minute_of(flare, seeded.a.timezone)
    response = a.post(f"/account/diary/flares/{flare.id}/end", {"ended_at": same_minute})
    assert response.status_code == 303
    db.session.expire_all()
    ended = db.session.get(Flare, flare.id)
    assert ended.ended_at == ended.onset_at  # read as the onset itself, never before it


def test_a_flare_still_cannot_end_a_minute_before_it_started(a, seeded):
    flare = a_flare_with_seconds(a)
    before = (flare.onset_at - timedelta(minutes=1)).astimezone(ZoneInfo(seeded.a.timezone)).strftime("%Y-%m-%dT%H:%M")
    response = a.post(f"/account/diary/flares/{flare.id}/end", {"ended_at": before})
    assert response.status_code == 422
    assert "The end cannot be before the flare started." in response.get_data(as_text=True)


def test_the_acute_sample_form_accepts_its_prefilled_time_in_the_onset_minute(a, seeded):
    flare = a_flare_with_seconds(a)
    response = a.post(f"/account/diary/flares/{flare.id}/tryptase",
                      {"kind": "acute", "value": "7.5", "drawn_at": minute_of(flare, seeded.a.timezone)})
    assert response.status_code == 303
    result = db.session.scalar(select(TryptaseResult))
    assert result.drawn_at == flare.onset_at


def test_a_flare_started_by_mistake_is_deleted_only_after_confirming(a, seeded, app):
    flare = a_flare_with_seconds(a)
    a.post(f"/account/diary/flares/{flare.id}/tryptase", {"kind": "baseline", "value": "5"})
    page = a.client.get(f"/account/diary/flares/{flare.id}").get_data(as_text=True)
    assert f'href="/account/diary/flares/{flare.id}/delete"' in page
    confirm = a.client.get(f"/account/diary/flares/{flare.id}/delete").get_data(as_text=True)
    assert "This cannot be undone." in confirm and "Its 1 tryptase result will be deleted with it." in confirm
    unconfirmed = a.post(f"/account/diary/flares/{flare.id}/delete", {})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Flare.id))) == 1
    bea = Visitor(app, seeded.b.email)
    assert bea.post(f"/account/diary/flares/{flare.id}/delete", {"confirm": "yes"}).status_code == 404
    assert a.post(f"/account/diary/flares/{flare.id}/delete", {"confirm": "yes"}).status_code == 303
    assert db.session.scalar(select(func.count(Flare.id))) == 0
    assert db.session.scalar(select(func.count(TryptaseResult.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "delete", AuditEvent.object_type == "flare")) == 1


def test_an_old_flare_is_kept(a, seeded):
    flare = a_flare_with_seconds(a)
    flare.created_at = utcnow() - timedelta(hours=49)
    db.session.commit()
    response = a.post(f"/account/diary/flares/{flare.id}/delete", {"confirm": "yes"})
    assert response.status_code == 409 and db.session.scalar(select(func.count(Flare.id))) == 1


def _diary(patient_id: int, first: str, tags: list[str], others: int = 12) -> None:
    """``first`` at noon on 6 days, each followed by a skin flare at 14:00; other days a mild rating only."""
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    days = [3 * n for n in range(6)]
    for day in days:
        at = now - timedelta(days=day)
        db.session.add(DiaryEntry(patient_id=patient_id, kind="exposure", occurred_at=at, text=first, tags=tags))
        db.session.add(DiaryEntry(patient_id=patient_id, kind="symptoms", occurred_at=at + timedelta(hours=2),
                                  ratings={"skin": 3}))
    for day in set(range(18)) - set(days):
        db.session.add(DiaryEntry(patient_id=patient_id, kind="symptoms", occurred_at=now - timedelta(days=day),
                                  ratings={"skin": 1}))
    db.session.commit()


def test_a_medicine_is_left_out_of_the_patterns(a, seeded):
    _diary(seeded.a.id, "Cetirizine", ["medicine"])
    page = a.client.get("/account/diary").get_data(as_text=True)
    patterns = page.split('id="patterns-title"')[1].split("</section>")[0]
    assert "cetirizine" not in patterns.lower() and "Medicine taken" not in patterns
    assert "Medicines are left out: you may take a medicine because of symptoms" in patterns
    assert "No pattern stands out yet" in patterns


def test_an_untagged_medicine_name_is_left_out_too(a, seeded):
    _diary(seeded.a.id, "fexofenadine 180mg", [])
    patterns = a.client.get("/account/diary").get_data(as_text=True).split('id="patterns-title"')[1]
    assert "fexofenadine" not in patterns.split("</section>")[0]


def test_every_pattern_carries_its_caution_and_the_over_restriction_lesson(a, practitioner, seeded):
    _diary(seeded.a.id, "prawns", [])
    for page in (a.client.get("/account/diary").get_data(as_text=True),
                 practitioner.client.get(f"/practice/patients/{seeded.a.id}").get_data(as_text=True)):
        assert "after <strong>prawns</strong> 6 of 6 times" in page
        assert "well above what chance alone would give" not in page
        assert ("Do not stop a medicine or cut out a food because of a pattern here" in page
                and "long restrictive diets risk gaps in nutrients" in page
                and "Bring the pattern to your practitioner." in page)
        assert 'href="/courses/histamine-intolerance/learn/reintroduction-and-nutrition"' in page
        assert "at the same times on days without it" in page


def test_an_ldn_plan_of_45_mg_is_refused(practitioner, seeded):
    today = utcnow().date().isoformat()
    response = practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                                 {"medicine": "Low-dose naltrexone", "steps": f"{today} 45 mg"})
    assert response.status_code == 422
    assert "45 mg is outside the low-dose naltrexone range, 0.1 to 4.5 mg a day" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(MedicationPlan.id))) == 0
    ok = practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                           {"medicine": "Low-dose naltrexone", "steps": f"{today} 4.5 mg"})
    assert ok.status_code == 303


@pytest.mark.parametrize("answers, shown", [
    ({"opioid_use": "yes"}, "her intake answer: an opioid painkiller now"),
    ({"medications": [{"name": "Butrans 10 patch"}]}, "Butrans 10 patch"),
    ({"pregnancy": {"selected": ["pregnant"], "detail": ""}}, "She is pregnant (her intake)"),
])
def test_her_intake_answers_raise_the_alert_when_a_plan_is_created(practitioner, seeded, answers, shown):
    latest = intake_service.latest_for_patient(seeded.a.id)
    if latest is None:
        latest = IntakeResponse(patient_id=seeded.a.id, questionnaire_version="2026.2", answers={},
                                created_at=utcnow(), updated_at=utcnow())
        db.session.add(latest)
    latest.answers = {**(latest.answers or {}), "opioid_use": "no", "medications": [],
                      "pregnancy": {"selected": ["none"], "detail": ""}, **answers}
    db.session.commit()
    today = utcnow().date().isoformat()
    response = practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                                 {"medicine": "LDN", "steps": f"{today} 1.5 mg"})
    assert response.status_code == 303
    page = practitioner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert shown in page


def test_a_high_baseline_tryptase_in_the_diary_is_flagged(a, practitioner, seeded):
    a.post("/account/diary/flares")
    flare = db.session.scalar(select(Flare))
    assert a.post(f"/account/diary/flares/{flare.id}/tryptase", {"kind": "baseline", "value": "35"}).status_code == 303
    page = practitioner.client.get(f"/practice/patients/{seeded.a.id}").get_data(as_text=True)
    assert "Baseline tryptase 35.0 ng/mL is above 20 ng/mL, a WHO minor criterion for systemic mastocytosis" in page
    assert "consider hereditary alpha-tryptasemia" in page


def test_saving_an_opioid_in_her_intake_alerts_the_practitioner_of_an_ldn_plan(a, practitioner, seeded):
    from app.models.notify import OutboxMessage
    today = utcnow().date().isoformat()
    assert practitioner.post(f"/practice/patients/{seeded.a.id}/medicines",
                             {"medicine": "LDN", "steps": f"{today} 1.5 mg"}).status_code == 303
    alerts = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "diary_medication_alert")
    assert db.session.scalar(alerts) == 0  # the demo intake names no opioid
    response = a.post(f"/account/intake/{seeded.appointment.id}/medicines", {
        "medications-0-name": "Zapain 30/500", "opioid_use": "no", "opioid_recent": "no",
        "heart_bp_medicines": "neither", "ldn_takes": "yes", "ldn_dose": "1.5"})
    assert response.status_code == 303
    assert db.session.scalar(alerts) == 1
    page = practitioner.client.get(f"/practice/patients/{seeded.a.id}/medicines").get_data(as_text=True)
    assert "Low-dose naltrexone with an opioid (Zapain 30/500)" in page
