"""A practice with no data is a normal state: the practitioner made by `flask create-practitioner` on an
empty database signs in to working pages (no 5xx anywhere in her navigation) and a setup checklist."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.scheduling import PractitionerProfile
from tests.support.first_run import EMAIL, PASSWORD, create_practitioner
from tests.support.web import post_form

NAV_LINK = re.compile(r'<a href="(/practice[^"]*)"')
STEP = re.compile(r'<li class="checklist-step" data-step="(\w+)" data-done="(yes|no)">\s*<span[^>]*>[^<]*</span>\s*'
                  r'<span class="checklist-body">\s*<a href="([^"]+)">')


@pytest.fixture
def first_run(app, auth):
    """The real first run: the CLI command on an empty database, then her sign-in through the login page."""
    user = create_practitioner(app)
    response = auth.login(EMAIL, PASSWORD)
    assert response.status_code == 303
    return user


def nav_links(client) -> list[str]:
    page = client.get("/practice").get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Practice"'):]
    nav = nav[:nav.index("</nav>")]
    return list(dict.fromkeys(NAV_LINK.findall(nav)))  # the phone's menu and the wide row: the same links


def test_create_practitioner_makes_her_profile_with_the_account(app):
    user = create_practitioner(app, zone="Asia/Tokyo")
    profile = db.session.scalar(select(PractitionerProfile).where(PractitionerProfile.user_id == user.id))
    assert profile is not None
    assert (profile.display_name, profile.timezone) == ("Dr A", "Asia/Tokyo")


def test_every_page_of_her_navigation_answers_on_an_empty_practice(first_run, client):
    links = nav_links(client)
    assert len(links) >= 15 and "/practice" in links and "/practice/patients" in links
    failures = {}
    for link in links:
        response = client.get(link)
        if response.status_code != 200:
            failures[link] = response.status_code
    assert failures == {}
    # The pages read; none of them had to create anything on the way.
    assert db.session.scalar(select(func.count()).select_from(PractitionerProfile)) == 1


def test_public_pages_answer_on_an_empty_practice(first_run, client):
    for path in ("/", "/book", "/courses"):
        assert client.get(path).status_code == 200, path


def test_a_practitioner_written_without_her_profile_still_gets_her_pages(first_run, client):
    """A row written around the application (no profile): a page that only reads takes the write lock
    before it makes her profile (on SQLite a read-only request may not write), once."""
    db.session.execute(PractitionerProfile.__table__.delete())
    db.session.commit()
    assert client.get("/practice/hours").status_code == 200
    assert client.get("/practice").status_code == 200
    profiles = db.session.scalars(select(PractitionerProfile)).all()
    assert [(p.user_id, p.display_name, p.timezone) for p in profiles] == [(first_run.id, "Dr A", "Europe/London")]


def checklist(client) -> dict[str, tuple[str, str]]:
    """step -> (done yes/no, the page it links to), as /practice shows them; {} when the checklist is gone."""
    page = client.get("/practice").get_data(as_text=True)
    return {step: (done, link) for step, done, link in STEP.findall(page)}


def test_the_setup_checklist_leads_her_to_each_step_until_the_practice_is_set_up(first_run, client):
    assert checklist(client) == {
        "profile": ("no", "/practice/policy"), "hours": ("no", "/practice/hours"),
        "type": ("no", "/practice/types/new"), "policy": ("no", "/practice/policy"),
        "payments": ("no", "/practice/payments"), "calendars": ("no", "/practice/calendars")}
    page = client.get("/practice").get_data(as_text=True)
    assert "Patients cannot book yet" in page
    assert "Off: bookings are paid at the appointment" in page
    for _step, (_done, link) in checklist(client).items():
        assert client.get(link).status_code == 200, link

    assert post_form(client, "/practice/hours", {"day-0-0-start": "09:00", "day-0-0-end": "17:00"}).status_code == 303
    assert checklist(client)["hours"] == ("yes", "/practice/hours")
    assert "Patients cannot book yet" in client.get("/practice").get_data(as_text=True)

    response = post_form(client, "/practice/types/new", {
        "name": "Initial consultation", "slug": "initial", "description": "", "duration_minutes": "60",
        "buffer_before_minutes": "0", "buffer_after_minutes": "15", "granularity_minutes": "15",
        "min_notice_hours": "24", "horizon_days": "60", "max_per_day": "", "reminder_lead_hours": "24",
        "price": "120.00", "currency": "GBP", "mode": "video", "location": "https://meet.example.com/i",
        "intake_required": "y", "active": "y", "display_order": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert checklist(client)["type"] == ("yes", "/practice/types")
    page = client.get("/practice").get_data(as_text=True)
    assert "Initial consultation, 60 minutes, £120.00." in page
    assert "Patients can book now" in page and 'href="/book"' in page
    assert checklist(client)["policy"] == ("no", "/practice/policy")  # the defaults are not yet hers

    policy = {"display_name": "Dr A", "credentials": "MBBS", "bio": "", "timezone": "Europe/London",
              "cancellation_notice_hours": "48", "reschedule_notice_hours": "24", "max_reschedules": "2",
              "late_cancel_refund_percent": "0"}
    assert post_form(client, "/practice/policy", policy).status_code == 303
    steps = checklist(client)
    assert steps["policy"][0] == "yes" and steps["profile"][0] == "no"  # no biography yet

    assert post_form(client, "/practice/policy", {**policy, "bio": "GP with an interest in MCAS."}).status_code == 303
    assert checklist(client) == {}  # set up: the agenda alone
    assert "Set up your practice" not in client.get("/practice").get_data(as_text=True)


def test_the_checklist_says_card_payments_are_on_when_stripe_is_configured(app, first_run, client):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_configured"
    assert checklist(client)["payments"] == ("yes", "/practice/payments")
    assert "On: patients pay by card when they book." in client.get("/practice").get_data(as_text=True)
