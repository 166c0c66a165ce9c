"""Taking the course: progress, resuming, drip with frozen time, completion and the certificate."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.courses import Enrollment, LessonProgress
from app.models.notify import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import SLUG, body_marker, build_course, enrol, lesson_url
from tests.support.mailbox import text_of
from tests.support.web import post_form

UTC = timezone.utc
ENROLLED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.frozen_at(ENROLLED_AT)


@pytest.fixture
def course(app):
    return build_course()


@pytest.fixture
def student(client, auth, make_user, course, frozen):
    patient = make_user("ada@example.com", full_name="Ada Lovelace", timezone="Europe/London")
    enrol(patient, course, at=ENROLLED_AT)
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    return patient


def later(frozen, auth, when: datetime) -> None:
    """Move the clock; the session's idle timeout has passed, so log in again."""
    frozen.move_to(when)
    auth.login("ada@example.com", DEFAULT_PASSWORD)


def complete(client, lesson: str):
    return post_form(client, f"{lesson_url(lesson)}/complete", {}, token_from=lesson_url(lesson))


def resume_target(client) -> str:
    return client.get(f"/courses/{SLUG}/learn").headers["Location"]


def emails(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind))


def test_a_new_student_starts_at_the_first_lesson(client, student):
    assert resume_target(client) == lesson_url("what-histamine-is")
    page = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Start the course" in page and "0% complete" in page


def test_resume_returns_to_the_lesson_viewed_last(client, student, frozen):
    client.get(lesson_url("what-histamine-is"))
    frozen.shift(timedelta(minutes=5))
    client.get(lesson_url("mast-cells"))
    frozen.shift(timedelta(minutes=5))
    assert resume_target(client) == lesson_url("mast-cells")
    page = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Continue where you left off" in page
    assert f'class="button button-primary" href="{lesson_url("mast-cells")}"' in page


def test_resume_after_finishing_the_last_viewed_lesson_goes_to_the_next_unfinished(client, student, frozen):
    client.get(lesson_url("mast-cells"))
    frozen.shift(timedelta(minutes=1))
    client.get(lesson_url("what-histamine-is"))
    complete(client, "what-histamine-is")
    assert resume_target(client) == lesson_url("mast-cells")


def test_marking_complete_moves_on_and_shows_progress_on_the_course_page_and_in_account(client, student):
    response = complete(client, "what-histamine-is")
    assert response.status_code == 303 and response.headers["Location"] == lesson_url("mast-cells")
    assert "33% complete" in client.get(f"/courses/{SLUG}").get_data(as_text=True)
    account = client.get("/account").get_data(as_text=True)
    assert "Your courses" in account and "Histamine Basics" in account and "33% complete" in account
    assert "Continue where you left off" in account


def test_marking_a_lesson_complete_twice_counts_it_once(client, student):
    complete(client, "what-histamine-is")
    complete(client, "what-histamine-is")
    rows = db.session.scalars(select(LessonProgress)).all()
    assert len(rows) == 1 and rows[0].completed_at == ENROLLED_AT


def test_the_lesson_page_shows_previous_next_and_its_completion(client, student):
    complete(client, "what-histamine-is")
    page = client.get(lesson_url("mast-cells")).get_data(as_text=True)
    assert f'rel="prev" href="{lesson_url("what-histamine-is")}"' in page
    assert f'rel="next" href="{lesson_url("food-list")}"' in page
    assert "Mark this lesson complete" in page
    first = client.get(lesson_url("what-histamine-is")).get_data(as_text=True)
    assert "You completed this lesson on" in first and "Mark this lesson complete" not in first


def test_a_dripped_lesson_says_when_it_opens_and_opens_then(client, auth, student, frozen):
    later(frozen, auth, ENROLLED_AT + timedelta(days=7) - timedelta(minutes=1))
    locked = client.get(lesson_url("food-list"))
    text = locked.get_data(as_text=True)
    assert locked.status_code == 403 and body_marker("food-list") not in text
    assert "This lesson opens on Tuesday 8 December 2026, 09:00 GMT" in text  # the patient's zone
    assert "Opens Tue 8 Dec, 09:00" in client.get(lesson_url("mast-cells")).get_data(as_text=True)
    assert complete(client, "food-list").status_code == 403

    frozen.move_to(ENROLLED_AT + timedelta(days=7))  # a minute later: still signed in
    opened = client.get(lesson_url("food-list"))
    assert opened.status_code == 200 and body_marker("food-list") in opened.get_data(as_text=True)
    assert complete(client, "food-list").status_code == 303


def test_drip_counts_from_each_patients_own_enrolment(client, auth, make_user, course, frozen):
    late = make_user("bea@example.com")
    enrol(late, course, at=ENROLLED_AT + timedelta(days=5))
    frozen.move_to(ENROLLED_AT + timedelta(days=8))
    auth.login("bea@example.com", DEFAULT_PASSWORD)
    assert client.get(lesson_url("food-list")).status_code == 403
    frozen.move_to(ENROLLED_AT + timedelta(days=12))
    auth.login("bea@example.com", DEFAULT_PASSWORD)
    assert client.get(lesson_url("food-list")).status_code == 200


def test_completing_every_lesson_completes_the_course_once_and_opens_the_certificate(client, auth, student, frozen,
                                                                                      mailbox):
    assert client.get(f"/courses/{SLUG}/certificate").status_code == 403
    complete(client, "what-histamine-is")
    complete(client, "mast-cells")
    assert db.session.scalar(select(Enrollment.completed_at)) is None
    later(frozen, auth, ENROLLED_AT + timedelta(days=7, hours=1))
    response = complete(client, "food-list")
    assert response.status_code == 303 and response.headers["Location"] == f"/courses/{SLUG}/certificate"
    assert db.session.scalar(select(Enrollment.completed_at)) == ENROLLED_AT + timedelta(days=7, hours=1)

    certificate = client.get(f"/courses/{SLUG}/certificate").get_data(as_text=True)
    assert "Certificate of completion" in certificate and "Ada Lovelace" in certificate
    assert "Histamine Basics" in certificate and "Tuesday 8 December 2026" in certificate
    assert "100% complete" in client.get("/account").get_data(as_text=True)

    complete(client, "food-list")  # again: nothing more happens
    assert emails("course_completed") == 1
    [message] = mailbox.wait_for("ada@example.com")
    assert f"/courses/{SLUG}/certificate" in text_of(message)


def test_certificate_is_printable_without_the_site_chrome(client, auth, student, frozen):
    later(frozen, auth, ENROLLED_AT + timedelta(days=8))
    for lesson in ("what-histamine-is", "mast-cells", "food-list"):
        complete(client, lesson)
    page = client.get(f"/courses/{SLUG}/certificate").get_data(as_text=True)
    assert 'class="certificate"' in page and 'class="hint no-print"' in page
    with client.get("/static/css/app.css") as stylesheet:
        css = stylesheet.get_data(as_text=True)
    assert "@media print" in css and ".site-header, .site-footer" in css


def test_the_printable_resource_renders_its_markdown_table(client, auth, student, frozen, course):
    later(frozen, auth, ENROLLED_AT + timedelta(days=8))
    lesson = course.lessons[-1]
    page = client.get(f"{lesson_url('food-list')}/resources/{lesson.resources[0].id}").get_data(as_text=True)
    assert "<table>" in page and "<td>Rice</td>" in page and "Print command" in page


def test_practitioner_reading_a_lesson_records_no_progress(client, auth, make_user, course):
    make_user("dr@example.com", role="practitioner")
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    page = client.get(lesson_url("food-list")).get_data(as_text=True)
    assert "Practitioner view" in page
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0
