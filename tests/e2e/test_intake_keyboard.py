"""Filling in the whole intake with the keyboard only, in a real browser: every field is reachable with Tab,
choices are made with Space and the arrow keys, an error is announced and leads back to its field, and
the progress reads "Step n of 7"."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models.intake import IntakeResponse
from app.scheduling import schedule
from tests.support.browser import tab_to

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # make_user's default


@pytest.fixture
def appointment(make_practice, make_user, book_appointment):
    _, _, ct = make_practice()
    patient = make_user("kim@example.com", full_name="Kim Keyboard", timezone="Europe/London")
    now = utcnow()
    start = schedule.open_slots(ct, now + timedelta(days=3), now + timedelta(days=10), now)[0]
    return book_appointment(patient, ct, starts_at=start, now=now)


def group(page: Page, legend: str) -> Locator:
    """A fieldset found by its legend, as assistive technology names it."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(legend)))


def press_on(page: Page, target: Locator, key: str) -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def save_and_continue(page: Page, number: int, title: str) -> None:
    press_on(page, page.get_by_role("button", name=re.compile("^Save and (continue|finish)$")), "Enter")
    if number <= 10:
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_text(f"Step {number} of 10", exact=True)).to_be_visible()


def rate(page: Page, symptom: str, severity: str, frequency: str) -> None:
    """A symptom's row takes one Tab: typing its number picks how bad ("3" picks "3 Severe"); how often then
    appears as the next stop, and its first letter picks it ("w" picks "Weekly")."""
    press_on(page, page.get_by_role("radiogroup", name=re.compile("^" + re.escape(symptom))).get_by_role(
        "radio").first, severity)
    press_on(page, page.get_by_role("radiogroup", name=re.compile("^How often " + re.escape(symptom))).get_by_role(
        "radio").first, frequency)


def rate_with_arrows(page: Page, symptom: str, severity: int, frequency: int) -> None:
    """The same with the arrow keys alone (no script needed): from the row's first radio, "None", each
    ArrowRight moves one level up; how often starts at "Monthly"."""
    tab_to(page, page.get_by_role("radiogroup", name=re.compile("^" + re.escape(symptom))).get_by_role(
        "radio").first)
    for _ in range(severity):
        page.keyboard.press("ArrowRight")
    tab_to(page, page.get_by_role("radiogroup", name=re.compile("^How often " + re.escape(symptom))).get_by_role(
        "radio").first)
    page.keyboard.press("Space")
    for _ in range(frequency):
        page.keyboard.press("ArrowRight")


def test_patient_fills_in_the_whole_intake_with_the_keyboard_only(page, appointment):
    page.goto("/auth/login")
    type_into(page, page.get_by_label("Email"), "kim@example.com")
    type_into(page, page.get_by_label("Password"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Kim Keyboard")).to_be_visible()

    press_on(page, page.get_by_role("link", name="Fill in the intake for Initial consultation"), "Enter")
    press_on(page, page.get_by_role("link", name="Start the intake"), "Enter")
    expect(page.get_by_text("Step 1 of 10", exact=True)).to_be_visible()

    # 1. About you. Sending it without a date of birth: the error summary takes the focus and its link
    # leads back to the field.
    type_into(page, page.get_by_label("Emergency contact: name"), "Sam Doe")
    type_into(page, page.get_by_label("Emergency contact: phone number"), "+44 20 7946 0000")
    press_on(page, group(page, "Sex recorded at birth").get_by_label("Female", exact=True), "Space")
    press_on(page, page.get_by_role("button", name="Save and continue"), "Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Date of birth: Enter a date")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    date_of_birth = page.get_by_label("Date of birth")
    expect(date_of_birth).to_be_focused()
    expect(date_of_birth).to_have_attribute("aria-describedby", re.compile("error"))
    page.keyboard.type("06061984")  # day and month alike: the same in every locale's field order
    expect(date_of_birth).to_have_value("1984-06-06")
    expect(page.get_by_label("Emergency contact: name")).to_have_value("Sam Doe")  # kept from the refused post
    save_and_continue(page, 2, "Symptoms by organ system")

    # 2. Symptoms.
    rate(page, "Hives", "3", "w")
    rate_with_arrows(page, "Flushing", 2, 2)  # Moderate, Daily
    rate(page, "Abdominal pain", "2", "w")
    rate(page, "Fatigue", "4", "d")
    save_and_continue(page, 3, "Reactions and allergies")

    # 3. Reactions: yes with Space on the first option, no with the arrow key.
    press_on(page, group(page, "Do you have episodes in which").get_by_label("Yes", exact=True), "Space")
    press_on(page, group(page, "Have you ever had anaphylaxis").get_by_label("Yes", exact=True), "Space")
    press_on(page, group(page, "Do you carry an adrenaline").get_by_label("Yes", exact=True), "ArrowRight")
    press_on(page, group(page, "Do you have any allergies").get_by_label("Yes", exact=True), "ArrowRight")
    save_and_continue(page, 4, "Triggers")
    # Past anaphylaxis and no auto-injector: she is asked, kindly, to see her doctor about one.
    expect(page.get_by_text("Please ask your doctor whether you should have one")).to_be_visible()

    # 4. Triggers.
    triggers = group(page, "What seems to set off your symptoms?")
    press_on(page, triggers.get_by_label("Mould"), "Space")
    press_on(page, triggers.get_by_label("Smells (perfumes, beauty products)"), "Space")
    type_into(page, page.get_by_label("Tell us more"), "Perfume in lifts")
    save_and_continue(page, 5, "Medical history")

    # 5. History: liver or kidney disease is required (2026.3).
    press_on(page, group(page, "Do you have liver or kidney disease?").get_by_label("Neither"), "Space")
    save_and_continue(page, 6, "Medicines and supplements")

    # 6. Medicines.
    type_into(page, page.get_by_label("Medicine").first, "Cetirizine")
    type_into(page, page.get_by_label("Dose", exact=True).first, "10 mg")
    press_on(page, group(page, "Do you take an opioid").get_by_label("Yes", exact=True), "ArrowRight")  # No
    press_on(page, group(page, "Have you taken an opioid in the last").get_by_label("Yes", exact=True),
             "ArrowRight")  # No
    press_on(page, group(page, "Do you take a beta-blocker").get_by_label("Neither"), "Space")
    press_on(page, group(page, "Do you take low-dose naltrexone").get_by_label("Yes", exact=True), "Space")
    type_into(page, page.get_by_label("Your current LDN dose"), "1.5")
    press_on(page, group(page, "When do you take it?").get_by_label("At bedtime"), "Space")
    save_and_continue(page, 7, "Test results")

    # 7. Tests: nothing required.
    save_and_continue(page, 8, "Diet and lifestyle")

    # 8. Lifestyle: nothing required.
    save_and_continue(page, 9, "Your goals")

    # 9. Goals.
    type_into(page, page.get_by_label("What would you like to get from your consultation?"), "Fewer flares")
    save_and_continue(page, 10, "Sensitivities for your visit")

    # 10. The visit.
    press_on(page, page.get_by_label("A fragrance-free room"), "Space")
    save_and_continue(page, 11, "")

    expect(page.get_by_text("Thank you: your intake is complete.")).to_be_visible()
    expect(page.get_by_text("Complete", exact=True)).to_be_visible()

    db.session.commit()  # see what the browser's requests committed
    saved = db.session.scalars(select(IntakeResponse)).one()
    assert (saved.status, saved.version, saved.questionnaire_version) == ("completed", 1, "2026.3")
    answers = saved.answers
    assert answers["date_of_birth"] == "1984-06-06" and answers["sex_at_birth"] == "female"
    assert answers["sym_skin_hives"] == {"severity": 3, "frequency": "weekly"}
    assert answers["sym_const_fatigue"] == {"severity": 4, "frequency": "daily"}
    assert answers["sym_skin_flushing"] == {"severity": 2, "frequency": "daily"}  # by the arrows
    assert answers["symptom_triggers"] == {"selected": ["mould", "smells"], "detail": "Perfume in lifts"}
    assert (answers["past_anaphylaxis"], answers["carries_epinephrine"]) == (True, False)
    assert (answers["episodes_sudden_together"], answers["has_allergies"], answers["opioid_use"]) == (True, False, "no")
    assert answers["heart_bp_medicines"] == {"selected": ["neither"], "detail": ""}
    assert answers["medications"] == [{"name": "Cetirizine", "dose": "10 mg"}]
    assert (answers["ldn_takes"], answers["ldn_dose"], answers["ldn_timing"]) == (True, 1.5, "bedtime")
    assert answers["visit_sensitivities"] == {"selected": ["fragrance_free"], "detail": ""}
