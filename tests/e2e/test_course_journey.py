"""Buying the course in a real browser and taking the first lesson: from the catalogue, through the
fake Stripe's hosted checkout page (which also sends the webhook), back to the course, the first
lesson marked complete, and the progress shown in the account."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.courses.demo_loader import load_demo_course
from app.extensions import db
from app.models.courses import Enrollment

pytestmark = [pytest.mark.e2e, pytest.mark.payments]

PASSWORD = "correct horse battery"  # make_user's default
COURSE = "The Histamine Intolerance Course"


@pytest.fixture
def allowed_hosts(fake_stripe):
    return {urlsplit(fake_stripe.url).netloc}  # it stands in for Stripe's hosted checkout page


@pytest.fixture
def paying(fake_stripe, live_server):
    fake_stripe.webhook_url = f"{live_server}/stripe/webhook"  # the Pay button also sends the webhook
    yield fake_stripe
    fake_stripe.webhook_url = None


def test_patient_buys_the_course_takes_the_first_lesson_and_sees_progress(page, paying, make_user):
    load_demo_course()
    make_user("ada@example.com", full_name="Ada Learner", timezone="Europe/London")
    db.session.commit()  # the browser's requests write next

    page.goto("/auth/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Ada Learner")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="The course").click()
    page.get_by_role("link", name=COURSE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    disclaimer = page.get_by_role("complementary", name="Medical disclaimer")
    expect(disclaimer).to_contain_text("Education, not medical advice.")
    page.get_by_role("button", name="Buy the course for $197.00").click()

    # The fake Stripe's hosted page: our price, then Pay.
    expect(page.get_by_role("heading", name="Fake Stripe Checkout")).to_be_visible()
    expect(page.locator("#total")).to_have_text("$197.00")
    page.get_by_role("button", name="Pay").click()

    expect(page).to_have_url(re.compile(r"/courses/histamine-intolerance$"))
    expect(page.get_by_text("Thank you: your payment was received.")).to_be_visible()
    expect(page.get_by_role("heading", name="You are enrolled")).to_be_visible()
    page.get_by_role("link", name="Start the course").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What histamine is and what it does")
    expect(page.get_by_text("education, not medical advice").first).to_be_visible()
    page.get_by_role("button", name="Mark this lesson complete").click()
    expect(page.get_by_text("“What histamine is and what it does” marked complete.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mast cells: your body's first responders")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    courses = page.get_by_role("region", name="Your courses")
    expect(courses.get_by_role("link", name=COURSE)).to_be_visible()
    expect(courses).to_contain_text("6% complete · 1 of 16 lessons")
    courses.get_by_role("link", name="Continue where you left off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mast cells: your body's first responders")

    db.session.commit()  # see what the browser's requests committed
    enrollments = db.session.scalars(select(Enrollment)).all()
    assert len(enrollments) == 1 and enrollments[0].source == "purchase"


def test_patient_answers_a_module_quiz_with_the_keyboard(page, make_user):
    course = load_demo_course()
    patient = make_user("bea@example.com", full_name="Bea Learner")
    db.session.add(Enrollment(patient_id=patient.id, course_id=course.id, source="granted"))
    db.session.commit()

    page.goto("/auth/login")
    page.get_by_label("Email").fill("bea@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/courses/{course.slug}/learn/mast-cells")

    quiz = page.get_by_role("region", name="Check your understanding")
    first = quiz.get_by_role("group", name=re.compile("keep the brain awake"))
    first.get_by_role("radio", name="H2").focus()
    page.keyboard.press("ArrowDown")  # radios in a group move with the arrow keys: H2 -> H1
    expect(first.get_by_role("radio", name="H1")).to_be_checked()
    quiz.get_by_role("button", name="Check my answers").focus()
    page.keyboard.press("Enter")

    result = page.locator(".quiz-result")
    expect(result).to_contain_text("You got 1 of 5 right.")
    expect(result).to_be_focused()  # the result is announced first, then each answer
    expect(page.locator("#q1-feedback")).to_contain_text("Right")
    expect(page.locator("#q2-feedback")).to_contain_text("Not answered")
