"""A practice with no data is a normal state: the practitioner made by `flask create-practitioner` on an
empty database signs in to working pages (no 5xx anywhere in her navigation) and a setup checklist."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import find_user_by_email
from app.models.scheduling import PractitionerProfile

EMAIL = "dr@example.org"
PASSWORD = "a long practice passphrase"
NAV_LINK = re.compile(r'<a href="(/practice[^"]*)"')


def create_practitioner(app, email: str = EMAIL, zone: str = "Europe/London"):
    result = app.test_cli_runner().invoke(
        args=["create-practitioner", "--email", email, "--name", "Dr A", "--timezone", zone, "--password-stdin"],
        input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"Created practitioner {email}" in result.output
    return find_user_by_email(email)


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
    return NAV_LINK.findall(nav)


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
