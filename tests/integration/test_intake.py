"""The intake questionnaire as a patient fills it in: steps, validation, resuming, the 24-hour lock and
versions, check-ins and their trend, and who may see what."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.intake import red_flags
from app.models.intake import IntakeResponse, SymptomCheckIn
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday
START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # Thursday 10:00 in New York
LOCK = START - timedelta(hours=24)

ABOUT = {"date_of_birth": "1984-06-01", "sex_at_birth": "female", "emergency_contact_name": "Sam Doe",
         "emergency_contact_phone": "020 7946 0000", "heard_about_us": "friend"}
# Hives 4, flushing 3, itching 2 (skin 9 of 20); abdominal pain 3, nausea 2 (digestion 5 of 24); the rest 0.
SYMPTOMS = {"sym_skin_hives.severity": "4", "sym_skin_hives.frequency": "daily",
            "sym_skin_flushing.severity": "3", "sym_skin_flushing.frequency": "weekly",
            "sym_skin_itching.severity": "2", "sym_skin_itching.frequency": "weekly",
            "sym_gi_pain.severity": "3", "sym_gi_pain.frequency": "weekly",
            "sym_gi_nausea.severity": "2", "sym_gi_nausea.frequency": "monthly",
            "sym_cv_palpitations.severity": "0"}
REACTIONS = {"episodes_sudden_together": "yes", "past_anaphylaxis": "yes", "carries_epinephrine": "yes",
             "has_allergies": "no"}
MEDICINES = {"opioid_use": "no", "opioid_recent": "no", "heart_bp_medicines": ["neither"], "ldn_takes": "yes",
             "ldn_dose": "1.5",
             "ldn_timing": "bedtime", "medications-0-name": "Cetirizine", "medications-0-dose": "10 mg",
             "antihistamines_h1": "Cetirizine"}
STEPS = {"about": ABOUT, "symptoms": SYMPTOMS, "reactions": REACTIONS,
         "triggers": {"symptom_triggers": ["mould", "smells"], "symptom_triggers.detail": "Perfume"},
         "history": {"diagnoses": ["mcas"], "liver_kidney": ["none"]}, "medicines": MEDICINES, "tests": {},
         "lifestyle": {"low_histamine_diet": "now", "low_histamine_diet_effect": "much_better"},
         "goals": {"consultation_goals": "Fewer flares"},
         "visit": {"visit_sensitivities": ["fragrance_free", "latex"]}}


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def appointment(book_appointment, practice, patient):
    return book_appointment(patient, practice[2], starts_at=START)


def save(client, appointment, step, data, action="next"):
    return post_form(client, f"/account/intake/{appointment.id}/{step}", {**data, "action": action})


def fill_all(client, appointment):
    for step, data in STEPS.items():
        assert save(client, appointment, step, data).status_code == 303, step


def responses() -> list[IntakeResponse]:
    db.session.expire_all()
    return list(db.session.scalars(select(IntakeResponse).order_by(IntakeResponse.version)))


def travel(frozen, auth, when: datetime) -> None:
    """Move the clock; sessions end after 30 idle minutes, so log in again."""
    frozen.move_to(when)
    auth.login("ada@example.com", DEFAULT_PASSWORD)


def as_practitioner(app):
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    return dr


# --- filling it in ------------------------------------------------------------------------------------

def test_each_step_shows_its_place_in_the_questionnaire_and_its_items(client, appointment):
    page = client.get(f"/account/intake/{appointment.id}/symptoms").get_data(as_text=True)
    assert "Step 2 of 10" in page
    assert '<span aria-current="step"><strong>Symptoms by organ system</strong></span>' in page
    for text in ("Hives (urticaria)", "Brain fog", "Bladder pain or urgency", "Weight loss", "Weight gain",
                 "Low blood pressure (a measured reading)", "Feeling light-headed on standing", "Wheezing"):
        assert re.search(rf'<span class="symptom-name" id="(f-sym_\w+)-name">{re.escape(text)}</span>\s*'
                         rf'<div class="severity-choices" role="radiogroup" aria-labelledby="\1-name"', page)
    # One row per symptom: how bad as one radio choice over the 0-4 scale, how often as radios for a rating
    # above none (never is what "none" means, so it is not offered); the names answers.py reads.
    assert re.findall(r'name="sym_skin_hives.severity" value="(\d)"', page) == ["0", "1", "2", "3", "4"]
    assert re.findall(r'name="sym_skin_hives.frequency" value="(\w+)"', page) == ["monthly", "weekly", "daily"]
    assert "<select" not in page


def test_a_rated_symptom_without_how_often_is_refused_and_the_summary_leads_to_its_row(client, appointment):
    response = save(client, appointment, "symptoms", {"sym_skin_hives.severity": "2"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<a href="#f-sym_skin_hives--severity-0">Hives (urticaria): Choose how often this happens</a>' in page
    assert re.search(r'id="f-sym_skin_hives--severity-2"[^>]*checked', page)  # her rating is kept
    assert responses() == []


def test_a_step_opens_with_one_line_for_its_place_and_one_for_an_emergency(client, appointment):
    """The step list folds into "Step 2 of 10: ..." (a disclosure); the emergency notice is the site's one
    emergency line, with the steps folded under it."""
    page = client.get(f"/account/intake/{appointment.id}/symptoms").get_data(as_text=True)
    assert re.search(r'<details>\s*<summary><span class="progress-label" id="progress-label">Step 2 of 10</span>: '
                     r'Symptoms by organ system · all steps</summary>\s*<ol class="step-list">', page)
    assert f"<p><strong>{red_flags.PAGE_EMERGENCY_LINE}</strong></p>" in page
    assert "<summary>What to do in an emergency, step by step</summary>" in page
    assert red_flags.EMERGENCY_STEPS[0] in page
    about = client.get(f"/account/intake/{appointment.id}/about").get_data(as_text=True)
    assert "Step 1 of 10</span>: About you" in about and red_flags.PAGE_EMERGENCY_LINE + "</strong>" not in about


def test_a_refused_step_answers_422_with_messages_tied_to_their_fields_and_saves_nothing(client, appointment):
    response = save(client, appointment, "about", {**ABOUT, "date_of_birth": "", "emergency_contact_phone": "call me"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a date" in page
    assert "Enter a phone number using digits" in page
    assert re.search(r'id="f-date_of_birth"[^>]*aria-describedby="f-date_of_birth-error"', page)
    assert 'value="call me"' in page  # what she typed is kept on the page
    assert responses() == []


def test_patient_can_leave_mid_way_and_resume_where_she_left_off(client, appointment):
    assert save(client, appointment, "about", ABOUT).headers["Location"].endswith("/symptoms")
    left = save(client, appointment, "symptoms", SYMPTOMS, action="later")
    assert left.headers["Location"] == f"/account/intake/{appointment.id}"

    overview = client.get(left.headers["Location"]).get_data(as_text=True)
    assert "In progress" in overview
    assert re.search(r">Symptoms by organ system</a>\s*<span class=\"badge badge-ok\">Done", overview)
    assert re.search(r">Triggers</a>\s*<span class=\"badge\">Not started", overview)
    assert "Carry on" in overview
    # Saved as she goes: "Carry on" opens the first step not saved yet, and the page says so.
    assert re.search(rf'href="/account/intake/{appointment.id}/reactions">\s*Carry on', overview)
    assert "“Carry on” opens the first step you have not saved yet" in overview
    again = client.get(f"/account/intake/{appointment.id}/about").get_data(as_text=True)
    assert 'value="1984-06-01"' in again and 'value="020 7946 0000"' in again
    [saved] = responses()
    assert (saved.status, saved.version, saved.questionnaire_version) == ("in_progress", 1, "2026.3")
    assert saved.answers["sym_skin_hives"] == {"severity": 4, "frequency": "daily"}


def test_finishing_every_step_completes_the_intake_and_records_the_questionnaire_version(client, appointment):
    fill_all(client, appointment)
    [saved] = responses()
    assert (saved.status, saved.questionnaire_version, saved.completed_at) == ("completed", "2026.3", NOW)
    page = client.get(f"/account/appointments/{appointment.id}").get_data(as_text=True)
    assert "Complete" in page


def test_answers_change_in_place_until_24_hours_before_the_appointment(client, appointment, frozen, auth):
    fill_all(client, appointment)
    travel(frozen, auth, LOCK - timedelta(minutes=1))
    assert save(client, appointment, "goals", {"consultation_goals": "Sleep better"}).status_code == 303
    [saved] = responses()
    assert saved.version == 1 and saved.answers["consultation_goals"] == "Sleep better"


def test_from_24_hours_before_a_change_makes_a_new_version_and_keeps_the_old(client, appointment, frozen, auth):
    fill_all(client, appointment)
    travel(frozen, auth, LOCK)
    page = client.get(f"/account/intake/{appointment.id}/goals").get_data(as_text=True)
    assert "Your answers are locked" in page
    assert save(client, appointment, "goals", {"consultation_goals": "Sleep better"}).status_code == 303

    first, second = responses()
    assert first.answers["consultation_goals"] == "Fewer flares" and first.status == "completed"
    assert second.answers["consultation_goals"] == "Sleep better"
    assert (second.version, second.status, second.questionnaire_version) == (2, "amended", "2026.3")
    assert {k: v for k, v in second.answers.items() if k != "consultation_goals"} == \
        {k: v for k, v in first.answers.items() if k != "consultation_goals"}


def test_an_intake_started_after_the_lock_stays_one_version_until_complete(client, appointment, frozen, auth):
    travel(frozen, auth, LOCK + timedelta(hours=1))
    fill_all(client, appointment)
    [only] = responses()
    assert (only.version, only.status) == (1, "completed")
    save(client, appointment, "goals", {"consultation_goals": "Sleep better"})
    assert [r.version for r in responses()] == [1, 2]


def test_save_and_add_more_entries_keeps_the_rows_and_offers_empty_ones(client, appointment):
    response = save(client, appointment, "medicines", {**MEDICINES, "medications-1-name": "Famotidine"}, action="stay")
    assert response.headers["Location"] == f"/account/intake/{appointment.id}/medicines"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="medications-1-name" value="Famotidine"' in page
    assert 'name="medications-3-name" value=""' in page and 'name="medications-4-name"' not in page


def test_an_incomplete_entry_is_named_in_the_error_summary(client, appointment):
    response = save(client, appointment, "medicines", {**MEDICINES, "medications-1-dose": "20 mg"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<a href="#f-medications-1-name">Current medications, entry 2: Medicine: Enter an answer</a>' in page
    assert responses() == []


def test_unknown_step_is_404(client, appointment):
    assert client.get(f"/account/intake/{appointment.id}/nope").status_code == 404


# --- who may see what ---------------------------------------------------------------------------------

def test_another_patients_intake_answers_404_and_cannot_be_written(app, client, appointment, make_user):
    fill_all(client, appointment)
    [saved] = responses()
    make_user("bea@example.com")
    other = app.test_client()
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    assert other.get(f"/account/intake/{appointment.id}").status_code == 404
    assert other.get(f"/account/intake/{appointment.id}/about").status_code == 404
    assert post_form(other, f"/account/intake/{appointment.id}/goals", {"consultation_goals": "x"},
                     token_from="/account").status_code == 404
    assert other.get(f"/api/v1/intake/responses/{saved.id}").status_code == 404
    assert responses()[0].answers["consultation_goals"] == "Fewer flares"


def test_a_patient_cannot_open_the_practitioners_patient_pages(client, appointment, patient):
    assert client.get("/practice/patients").status_code == 403
    assert client.get(f"/practice/patients/{patient.id}").status_code == 403


def test_the_practitioner_sees_only_patients_who_booked_with_her(app, appointment, make_user):
    stranger = make_user("cy@example.com", full_name="Cy Stranger")
    dr = as_practitioner(app)
    assert "Ada Lovelace" in dr.get("/practice/patients").get_data(as_text=True)
    assert "Cy Stranger" not in dr.get("/practice/patients").get_data(as_text=True)
    assert dr.get(f"/practice/patients/{stranger.id}").status_code == 404


# --- check-ins and the trend --------------------------------------------------------------------------

def test_a_check_in_joins_the_trend_drawn_as_an_accessible_chart_with_a_table(app, client, appointment, patient,
                                                                             frozen, auth):
    fill_all(client, appointment)
    travel(frozen, auth, NOW + timedelta(days=14))
    assert post_form(client, "/account/symptoms/check-in", {"sym_skin_hives.severity": "2",
                                                           "sym_skin_hives.frequency": "weekly"}).status_code == 303
    for page in (client.get("/account/symptoms").get_data(as_text=True),
                 as_practitioner(app).get(f"/practice/patients/{patient.id}").get_data(as_text=True)):
        skin = re.search(r'<svg [^>]*class="trend-chart trend-skin"[^>]*>.*?</svg>', page, re.S).group(0)
        assert 'role="img"' in skin and "<title id=" in skin and "<desc id=" in skin
        assert "1 Dec 2026 45%, 15 Dec 2026 10%" in skin  # 9 of 20, then 2 of 20
        assert "style=" not in skin and "<script" not in skin
        assert re.search(r"<th scope=\"row\">1 Dec 2026</th><td>Intake</td>\s*<td>45%</td>", page)
        assert re.search(r"<th scope=\"row\">15 Dec 2026</th><td>Check-in</td>\s*<td>10%</td>", page)


def test_an_empty_check_in_is_refused_and_nothing_is_kept(client, patient):
    response = post_form(client, "/account/symptoms/check-in", {})
    assert response.status_code == 422
    assert "Rate at least one symptom" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SymptomCheckIn)) == 0


def test_before_a_follow_up_the_patient_is_asked_for_a_check_in_which_is_linked_to_it(
        client, make_practice, book_appointment, patient):
    _, _, follow_up = make_practice(slug="follow-up", name="Follow-up", intake_required=False)
    visit = book_appointment(patient, follow_up, starts_at=START)
    home = client.get("/account").get_data(as_text=True)
    assert "Please send a symptom check-in before your follow-up" in home
    post_form(client, "/account/symptoms/check-in", {"sym_gi_pain.severity": "1", "sym_gi_pain.frequency": "monthly"})
    check_in = db.session.scalar(select(SymptomCheckIn))
    assert check_in.appointment_id == visit.id
    assert "Please send a symptom check-in" not in client.get("/account").get_data(as_text=True)


def test_booking_a_consultation_invites_the_patient_to_the_intake(client, practice, patient):
    from app.intake.red_flags import QUESTIONS
    post_form(client, "/book/safety", {q.field: "no" for q in QUESTIONS})
    review = f"/book/initial/review?start={START.isoformat()}&tz=Europe/London"
    booked = post_form(client, "/book/initial/confirm", {"start": START.isoformat(), "tz": "Europe/London"},
                       token_from=review, follow_redirects=True)
    page = booked.get_data(as_text=True)
    assert "Your consultation is booked." in page
    assert "please fill in the intake questionnaire" in page
    assert "Fill in your intake" in page
    page = client.get("/account").get_data(as_text=True)
    assert "Please fill in your intake before your initial consultation" in page


def test_a_check_in_records_medicine_changes_shown_as_a_marker_and_a_table_row(app, client, appointment, patient,
                                                                              frozen, auth):
    fill_all(client, appointment)
    travel(frozen, auth, NOW + timedelta(days=14))
    assert post_form(client, "/account/symptoms/check-in", {
        "sym_skin_hives.severity": "2", "sym_skin_hives.frequency": "weekly",
        "medication_changes-0-medicine": "Ketotifen", "medication_changes-0-change": "started",
        "medication_changes-0-detail": "1 mg at night", "medication_changes-1-medicine": "Cetirizine",
        "medication_changes-1-change": "dose_changed"}).status_code == 303
    stored = db.session.scalar(select(SymptomCheckIn))
    assert stored.medication_changes == [
        {"medicine": "Ketotifen", "change": "started", "detail": "1 mg at night"},
        {"medicine": "Cetirizine", "change": "dose_changed"}]
    for page in (client.get("/account/symptoms").get_data(as_text=True),
                 as_practitioner(app).get(f"/practice/patients/{patient.id}").get_data(as_text=True)):
        skin = re.search(r'<svg [^>]*class="trend-chart trend-skin"[^>]*>.*?</svg>', page, re.S).group(0)
        assert skin.count('class="trend-marker"') == 1  # the check-in, not the intake
        assert "Medicine changes reported on 15 Dec 2026." in skin
        assert re.search(r"<th scope=\"row\">15 Dec 2026</th><td>Check-in</td>.*?"
                         r"<td>Started: Ketotifen \(1 mg at night\); Dose changed: Cetirizine</td>", page, re.S)


def test_a_medicine_change_without_what_changed_is_refused_and_nothing_is_kept(client, patient):
    response = post_form(client, "/account/symptoms/check-in", {
        "sym_skin_hives.severity": "2", "sym_skin_hives.frequency": "weekly",
        "medication_changes-0-medicine": "Ketotifen"})
    assert response.status_code == 422
    assert "Choose an answer" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SymptomCheckIn)) == 0


def test_an_intake_about_usual_symptoms_is_listed_apart_from_the_two_week_trend(app, client, appointment, patient):
    db.session.add(IntakeResponse(patient_id=patient.id, appointment_id=appointment.id, version=1,
                                  questionnaire_version="2026.1", status="in_progress", created_at=NOW,
                                  updated_at=NOW, saved_steps=["symptoms"],
                                  answers={"sym_skin_hives": {"severity": 4, "frequency": "daily"}}))
    db.session.commit()
    post_form(client, "/account/symptoms/check-in", {"sym_skin_hives.severity": "2",
                                                    "sym_skin_hives.frequency": "weekly"})
    page = client.get("/account/symptoms").get_data(as_text=True)
    skin = re.search(r'<svg [^>]*class="trend-chart trend-skin"[^>]*>.*?</svg>', page, re.S).group(0)
    assert "over 1 check-in: 1 Dec 2026 10%" in skin  # the check-in alone is plotted
    assert "not on the charts: that questionnaire asked how bad symptoms usually get" in page
    assert re.search(r"<th scope=\"row\">1 Dec 2026</th><td>20%</td>", page)  # hives 4 of 20 skin


# --- issue 20, point 6: a post cannot tie up a web worker ----------------------------------------

def test_a_post_with_a_row_per_key_is_refused_without_rendering_thousands_of_rows(client, appointment):
    # Row numbers the questionnaire never offers (it allows 50): refused with 422, and the page shows
    # only the rows it allows, not one per posted key.
    rows = {f"medications-{n}-name": "x" * 400 for n in range(50, 500)}
    response = save(client, appointment, "medicines", {**MEDICINES, **rows})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Add at most 50 entries" in page
    assert 'name="medications-50-name"' not in page and 'name="medications-49-name"' not in page
    assert len(page) < 300_000, len(page)
    assert responses() == []


def test_a_post_with_more_fields_than_any_page_has_is_refused_with_413(client, appointment):
    rows = {f"medications-{n}-note": "x" * 400 for n in range(900)}  # 900 fields, 477 KB like the report
    response = save(client, appointment, "medicines", {**MEDICINES, **rows})
    assert response.status_code == 413
    assert responses() == []


def test_a_field_too_big_for_a_form_is_refused_with_413(client, appointment):
    response = save(client, appointment, "goals", {"consultation_goals": "x" * 600_000})
    assert response.status_code == 413
    assert responses() == []
