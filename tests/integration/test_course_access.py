"""Who receives a lesson's body: every lesson URL (the lesson page, its printable resource, marking it
complete) for each kind of viewer. A body leaves the server only for a preview, an enrolled patient
once the lesson's module has opened, or the practitioner."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.courses.service import DENIED, LOCKED, OPEN, PREVIEW, lesson_access
from app.extensions import db
from app.models.courses import LessonProgress
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import SLUG, body_marker, build_course, enrol, lesson_url, resource_url
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VIEWERS = ("anonymous", "outsider", "enrolled", "practitioner")


@pytest.fixture
def course(app):
    return build_course()


@pytest.fixture
def sign_in(client, auth, make_user, course):
    """sign_in(viewer): make the viewer and log the client in as them (anonymous stays logged out)."""
    def sign_in(viewer: str):
        if viewer == "anonymous":
            return None
        role = "practitioner" if viewer == "practitioner" else "patient"
        user = make_user(f"{viewer}@example.com", role=role)
        if viewer == "enrolled":
            enrol(user, course)
        auth.login(user.email, DEFAULT_PASSWORD)
        return user

    return sign_in


# What each viewer gets for a GET of each lesson page and of the resource page:
# "body" (200 with the body), "login" / "landing" (a redirect there, no body), "locked" (403 page, no body).
PAGES = {
    "what-histamine-is": {"anonymous": "body", "outsider": "body", "enrolled": "body", "practitioner": "body"},
    "mast-cells": {"anonymous": "login", "outsider": "landing", "enrolled": "body", "practitioner": "body"},
    "food-list": {"anonymous": "login", "outsider": "landing", "enrolled": "locked", "practitioner": "body"},
}


def _check(response, expected: str, marker: str) -> None:
    text = response.get_data(as_text=True)
    assert (marker in text) == (expected == "body"), text[:400]
    if expected == "body":
        assert response.status_code == 200
    elif expected == "login":
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    elif expected == "landing":
        assert response.status_code == 302 and response.headers["Location"] == f"/courses/{SLUG}"
    else:
        assert response.status_code == 403 and "This lesson opens on" in text


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("lesson", sorted(PAGES))
def test_lesson_page_body_is_sent_only_to_those_allowed(client, sign_in, viewer, lesson):
    sign_in(viewer)
    _check(client.get(lesson_url(lesson)), PAGES[lesson][viewer], body_marker(lesson))


@pytest.mark.parametrize("viewer", VIEWERS)
def test_printable_resource_follows_its_lesson(client, course, sign_in, viewer):
    url = resource_url(course)
    sign_in(viewer)
    _check(client.get(url), PAGES["food-list"][viewer], "RESOURCE-BODY")


# POST .../complete: who may record progress.
COMPLETE = {
    "what-histamine-is": {"anonymous": 302, "outsider": 403, "enrolled": 303, "practitioner": 403},
    "mast-cells": {"anonymous": 302, "outsider": 403, "enrolled": 303, "practitioner": 403},
    "food-list": {"anonymous": 302, "outsider": 403, "enrolled": 403, "practitioner": 403},
}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("lesson", sorted(COMPLETE))
def test_only_an_enrolled_patient_can_complete_an_open_lesson(client, sign_in, viewer, lesson):
    sign_in(viewer)
    response = post_form(client, f"{lesson_url(lesson)}/complete", {}, token_from="/courses")
    assert response.status_code == COMPLETE[lesson][viewer]
    completed = db.session.scalar(select(func.count()).select_from(LessonProgress)
                                  .where(LessonProgress.completed_at.is_not(None)))
    assert completed == (1 if COMPLETE[lesson][viewer] == 303 else 0)
    if viewer == "anonymous":
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_certificate_is_only_for_a_patient_who_completed(client, sign_in, viewer):
    sign_in(viewer)
    response = client.get(f"/courses/{SLUG}/certificate")
    assert response.status_code == (302 if viewer == "anonymous" else 403)
    assert "Certificate of completion" not in response.get_data(as_text=True)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_learn_entry_point_sends_each_viewer_to_the_right_place(client, sign_in, viewer):
    sign_in(viewer)
    response = client.get(f"/courses/{SLUG}/learn")
    assert response.status_code == 302
    expected = {"anonymous": "/auth/login?next=", "outsider": f"/courses/{SLUG}",
                "enrolled": lesson_url("what-histamine-is"), "practitioner": lesson_url("what-histamine-is")}[viewer]
    assert response.headers["Location"].startswith(expected)


@pytest.mark.parametrize(("viewer", "status"), [("anonymous", 404), ("outsider", 404), ("enrolled", 200),
                                                ("practitioner", 200)])
def test_an_unpublished_course_exists_only_for_the_practitioner_and_those_enrolled(client, course, sign_in,
                                                                                  viewer, status):
    course.published = False
    db.session.commit()
    sign_in(viewer)
    assert client.get(f"/courses/{SLUG}").status_code == status
    assert client.get(lesson_url("what-histamine-is")).status_code == status
    assert "Histamine Basics" not in client.get("/courses").get_data(as_text=True)


def test_syllabus_is_visible_to_everyone_but_only_the_preview_is_a_link(client, course):
    page = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    for lesson in course.lessons:
        assert lesson.title in page
        assert body_marker(lesson.slug) not in page
    assert f'href="{lesson_url("what-histamine-is")}"' in page
    assert f'href="{lesson_url("mast-cells")}"' not in page


def test_an_unknown_lesson_is_404_for_everyone(client, sign_in):
    sign_in("enrolled")
    assert client.get(lesson_url("no-such-lesson")).status_code == 404


# The rule itself, as a table: (preview, drip days, viewer, enrolled days ago) -> state.
@pytest.mark.parametrize(("preview", "drip", "viewer", "enrolled_days_ago", "state"), [
    (False, 0, "other", None, DENIED),
    (True, 0, "other", None, PREVIEW),
    (False, 0, "enrolled", 0, OPEN),
    (False, 7, "enrolled", 6, LOCKED),
    (False, 7, "enrolled", 7, OPEN),
    (True, 7, "enrolled", 1, PREVIEW),
    (False, 7, "practitioner", None, OPEN),
])
def test_lesson_access_rule(preview, drip, viewer, enrolled_days_ago, state):
    enrolled_at = None if enrolled_days_ago is None else NOW - timedelta(days=enrolled_days_ago)
    access = lesson_access(preview=preview, drip_days=drip, viewer=viewer, enrolled_at=enrolled_at, now=NOW)
    assert access.state == state
    if state == LOCKED:
        assert access.opens_at == enrolled_at + timedelta(days=drip)
