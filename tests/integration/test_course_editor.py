"""The practitioner's course editor: validation (422 with the message next to the field, nothing
written), ordering, Markdown preview, publishing, granting access, enrolments and progress."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.courses import Course, Enrollment, Lesson, LessonResource, Module
from app.models.notify import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import SLUG, build_course, enrol
from tests.support.web import post_form

COURSE_FORM = {"title": "Low-histamine kitchen", "slug": "kitchen", "summary": "Cooking with less histamine.",
               "description": "## Hello", "who_for": "- Cooks", "price": "97.00", "currency": "usd"}


@pytest.fixture
def practitioner(client, auth, make_user):
    user = make_user("dr@example.com", role="practitioner", full_name="Dr Maya Test")
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    return user


@pytest.fixture
def course(app):
    return build_course()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def lesson_titles(module_title: str) -> list[str]:
    module = db.session.scalar(select(Module).where(Module.title == module_title))
    db.session.refresh(module)
    return [lesson.title for lesson in module.lessons]


def test_creating_a_course_saves_it_as_a_draft(client, practitioner):
    response = post_form(client, "/practice/courses/new", COURSE_FORM)
    assert response.status_code == 303
    course = db.session.scalar(select(Course))
    assert (course.slug, course.price_minor, course.currency, course.published) == ("kitchen", 9700, "usd", False)
    assert response.headers["Location"] == f"/practice/courses/{course.id}"
    assert client.get("/courses/kitchen").status_code == 200  # the practitioner sees the draft
    assert count(AuditEvent, AuditEvent.object_type == "course") == 1


def test_an_empty_slug_is_made_from_the_title(client, practitioner):
    post_form(client, "/practice/courses/new", {**COURSE_FORM, "slug": "", "title": "Histamine & Hormones: Día 1"})
    assert db.session.scalar(select(Course.slug)) == "histamine-hormones-dia-1"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "", "Enter the course&#39;s title."),
    ("title", "x" * 201, "Use at most 200 characters"),
    ("slug", "Has Spaces", "Use lowercase letters, digits and single hyphens"),
    ("slug", "taken", "Another course already uses this address."),
    ("summary", "", "Enter a one- or two-sentence summary"),
    ("price", "", "Enter an amount like 150.00, with at most two decimal places"),
    ("price", "12.345", "with at most two decimal places"),
    ("price", "-5", "can&#39;t be negative"),
    ("price", "0.00", "at least 0.50"),
    ("price", "1000000.01", "at most 1,000,000.00"),
    ("currency", "dollars", "three-letter ISO currency code"),
    ("currency", "JPY", "JPY has no cents-style minor unit"),
    ("description", "bad \x00 byte", "invisible control characters"),
])
def test_course_validation(client, practitioner, field, value, message):
    build_course(slug="taken")
    response = post_form(client, "/practice/courses/new", {**COURSE_FORM, field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert count(Course) == 1  # only the one made above


@pytest.mark.parametrize(("values", "message"), [
    ({"title": ""}, "Enter the module&#39;s title."),
    ({"drip_days": "-1"}, "Enter a whole number of days from 0 to 365"),
    ({"drip_days": "366"}, "Enter a whole number of days from 0 to 365"),
    ({"drip_days": "a week"}, "Enter a whole number of days from 0 to 365"),
])
def test_module_validation(client, practitioner, course, values, message):
    url = f"/practice/courses/{course.id}/modules/new"
    response = post_form(client, url, {"title": "Extra", "drip_days": "0", **values})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Module) == 2


@pytest.mark.parametrize(("values", "message"), [
    ({"title": ""}, "Enter the lesson&#39;s title."),
    ({"slug": "mast-cells"}, "Another lesson in this course already uses this address."),
    ({"slug": "Bad_Slug"}, "Use lowercase letters, digits and single hyphens"),
    ({"body": "Text\n\n```quiz\n? Which one?\n+ A\n+ B\n= Why\n```"}, "needs exactly one right answer"),
    ({"body": "Text\n\n```quiz\n- A wrong answer first\n```"}, "Line 4: start the quiz with a question"),
    ({"body": "```quiz\n? Q\n+ A\n- B\n```"}, "needs an explanation"),
    ({"body": "   "}, "Write the lesson (Markdown)."),
    ({"module_id": "999999"}, "Choose one of this course&#39;s modules."),
])
def test_lesson_validation(client, practitioner, course, values, message):
    module = course.modules[0]
    data = {"title": "New lesson", "slug": "", "minutes": "5", "body": "Text", "module_id": str(module.id), **values}
    response = post_form(client, f"/practice/courses/{course.id}/lessons/new", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Lesson) == 3


def test_reading_time_is_counted_from_the_words_not_typed(client, practitioner, course):
    module = course.modules[0]
    body = " ".join(["word"] * 1100)  # 1,100 words at 220 a minute
    data = {"title": "Long read", "minutes": "1", "body": body, "module_id": str(module.id)}
    assert post_form(client, f"/practice/courses/{course.id}/lessons/new", data).status_code == 303
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "long-read"))
    assert lesson.minutes == 5
    edit = f"/practice/courses/{course.id}/lessons/{lesson.id}"
    shorter = {"title": "Long read", "slug": "long-read", "body": " ".join(["word"] * 330),
               "module_id": str(module.id)}
    assert post_form(client, edit, shorter).status_code == 303
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).minutes == 2  # 1.5 minutes rounds up


def test_preview_shows_the_quiz_and_the_reading_time(client, practitioner, course):
    lesson = course.lessons[1]
    url = f"/practice/courses/{course.id}/lessons/{lesson.id}"
    body = "Read this.\n\n```quiz\n? Which receptor mainly keeps us awake?\n- H2\n+ H1\n= H1 in the brain.\n```"
    response = post_form(client, url, {"title": lesson.title, "slug": lesson.slug, "body": body,
                                       "module_id": str(lesson.module_id), "action": "preview"})
    page = response.get_data(as_text=True)
    assert "A line holding only {{emergency-steps}} shows the practice&#39;s emergency steps" in page
    preview = page.split("Preview: what patients will see", 1)[1].split("How to write a module quiz", 1)[0]
    assert "<legend>1. Which receptor mainly keeps us awake?</legend>" in preview
    assert "```quiz" not in preview and "Which receptor" not in preview.split("<legend>", 1)[0]
    assert "14 words: about 1 minute of reading." in preview


def test_adding_a_lesson_puts_it_at_the_end_of_its_module(client, practitioner, course):
    module = course.modules[0]
    data = {"title": "Third basic", "minutes": "4", "body": "Text", "module_id": str(module.id), "preview": "y"}
    response = post_form(client, f"/practice/courses/{course.id}/lessons/new", data)
    assert response.status_code == 303
    assert lesson_titles("Basics") == ["What histamine is", "Mast cells", "Third basic"]
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "third-basic"))
    assert lesson.preview and lesson.course_id == course.id


def test_moving_a_lesson_to_another_module_appends_it_there(client, practitioner, course):
    lesson = course.lessons[0]
    later = course.modules[1]
    url = f"/practice/courses/{course.id}/lessons/{lesson.id}"
    data = {"title": lesson.title, "slug": lesson.slug, "minutes": "5", "body": lesson.body, "module_id": str(later.id)}
    assert post_form(client, url, data).status_code == 303
    assert lesson_titles("Later") == ["Food list", "What histamine is"]


def test_reordering_lessons_with_up_and_down(client, practitioner, course):
    first, second = course.modules[0].lessons
    base = f"/practice/courses/{course.id}/lessons"
    edit = f"/practice/courses/{course.id}"
    assert post_form(client, f"{base}/{first.id}/move", {"direction": "down"}, token_from=edit).status_code == 303
    assert lesson_titles("Basics") == ["Mast cells", "What histamine is"]
    response = post_form(client, f"{base}/{first.id}/move", {"direction": "down"}, token_from=edit)
    assert response.status_code == 303 and lesson_titles("Basics") == ["Mast cells", "What histamine is"]
    assert "is already at the bottom" in client.get(edit).get_data(as_text=True)
    post_form(client, f"{base}/{first.id}/move", {"direction": "up"}, token_from=edit)
    assert lesson_titles("Basics") == ["What histamine is", "Mast cells"]
    assert post_form(client, f"{base}/{first.id}/move", {"direction": "sideways"}, token_from=edit).status_code == 422


def test_reordering_modules_changes_the_patients_reading_order(client, practitioner, course):
    later = course.modules[1]
    edit = f"/practice/courses/{course.id}"
    post_form(client, f"{edit}/modules/{later.id}/move", {"direction": "up"}, token_from=edit)
    db.session.expire_all()
    reordered = db.session.get(Course, course.id)
    assert [m.title for m in reordered.modules] == ["Later", "Basics"]
    assert [lesson.slug for lesson in reordered.lessons] == ["food-list", "what-histamine-is", "mast-cells"]


def test_preview_shows_the_sanitised_lesson_and_saves_nothing(client, practitioner, course):
    lesson = course.lessons[1]
    url = f"/practice/courses/{course.id}/lessons/{lesson.id}"
    body = ("### Safe heading\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |")
    response = post_form(client, url, {"title": lesson.title, "slug": lesson.slug, "minutes": "5", "body": body,
                                       "module_id": str(lesson.module_id), "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Preview: what patients will see" in page
    preview = page.split("Preview: what patients will see", 1)[1]
    # "###" becomes h2 under the lesson title, in the preview exactly as on the lesson page
    assert "<h2>Safe heading</h2>" in preview and "<td>1</td>" in preview
    assert "<script>alert" not in preview and 'href="javascript' not in preview
    db.session.expire_all()
    assert "Safe heading" not in db.session.get(Lesson, lesson.id).body


def test_publishing_needs_a_lesson_and_unpublishing_hides_the_course(client, practitioner):
    post_form(client, "/practice/courses/new", COURSE_FORM)
    course = db.session.scalar(select(Course))
    edit = f"/practice/courses/{course.id}"
    refused = post_form(client, f"{edit}/publish", {"published": "1"}, token_from=edit)
    assert refused.status_code == 422 and "Add at least one lesson before publishing" in refused.get_data(as_text=True)
    post_form(client, f"{edit}/modules/new", {"title": "Only module", "drip_days": "0"})
    module = db.session.scalar(select(Module))
    post_form(client, f"{edit}/lessons/new", {"title": "Only lesson", "minutes": "3", "body": "Hi",
                                              "module_id": str(module.id)})
    assert post_form(client, f"{edit}/publish", {"published": "1"}, token_from=edit).status_code == 303
    assert 'href="/courses/kitchen"' in client.get("/courses").get_data(as_text=True)
    post_form(client, f"{edit}/publish", {"published": "0"}, token_from=edit)
    assert 'href="/courses/kitchen"' not in client.get("/courses").get_data(as_text=True)


def test_a_module_with_lessons_cannot_be_deleted(client, practitioner, course):
    edit = f"/practice/courses/{course.id}"
    response = post_form(client, f"{edit}/modules/{course.modules[0].id}/delete", {}, token_from=edit)
    assert response.status_code == 409 and "still has lessons" in response.get_data(as_text=True)
    assert count(Module) == 2


def test_deleting_a_lesson_removes_its_resources(client, practitioner, course):
    lesson = course.lessons[-1]
    url = f"/practice/courses/{course.id}/lessons/{lesson.id}"
    assert post_form(client, f"{url}/delete", {}, token_from=url).status_code == 303
    assert count(Lesson) == 2 and count(LessonResource) == 0


def test_adding_a_printable_resource(client, practitioner, course):
    lesson = course.lessons[0]
    url = f"/practice/courses/{course.id}/lessons/{lesson.id}/resources/new"
    assert post_form(client, url, {"title": "", "body": ""}).status_code == 422
    assert post_form(client, url, {"title": "Shopping list", "body": "- rice"}).status_code == 303
    titles = db.session.scalars(select(LessonResource.title).where(LessonResource.lesson_id == lesson.id)).all()
    assert titles == ["Shopping list"]


@pytest.mark.parametrize(("email", "status", "message"), [
    ("", 422, "Enter the email address the patient uses to sign in."),
    ("nobody@example.com", 422, "No patient has an account with that email."),
    ("dr@example.com", 422, "That account is not a patient&#39;s."),
    ("enrolled@example.com", 409, "is already enrolled in this course."),
])
def test_granting_access_refuses_with_a_clear_message(client, practitioner, course, make_user, email, status, message):
    enrol(make_user("enrolled@example.com"), course)
    url = f"/practice/courses/{course.id}/enrolments"
    response = post_form(client, url, {"email": email})
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert count(Enrollment) == 1


def test_granting_access_enrols_and_sends_the_welcome_email(client, practitioner, course, make_user):
    make_user("bea@example.com", full_name="Bea Patient")
    url = f"/practice/courses/{course.id}/enrolments"
    response = post_form(client, url, {"email": " Bea@Example.com "})
    assert response.status_code == 303
    enrollment = db.session.scalar(select(Enrollment))
    assert (enrollment.source, enrollment.granted_by_id) == ("granted", practitioner.id)
    welcome = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "course_welcome"))
    assert welcome.to == "bea@example.com" and f"/courses/{SLUG}/learn" in welcome.text_body
    assert "has given you access" in welcome.text_body


def test_enrolments_show_each_patients_progress_and_reading_it_is_audited(client, practitioner, course, make_user):
    from app.clock import utcnow
    from app.models.courses import LessonProgress

    patient = make_user("ada@example.com", full_name="Ada Lovelace")
    enrollment = enrol(patient, course)
    db.session.add(LessonProgress(patient_id=patient.id, lesson_id=course.lessons[0].id, last_viewed_at=utcnow(),
                                  completed_at=utcnow()))
    db.session.commit()
    listing = client.get(f"/practice/courses/{course.id}/enrolments").get_data(as_text=True)
    assert "Ada Lovelace" in listing and "33% (1 of 3)" in listing
    detail = client.get(f"/practice/courses/{course.id}/enrolments/{enrollment.id}")
    assert detail.status_code == 200 and "33% complete" in detail.get_data(as_text=True)
    assert count(AuditEvent, AuditEvent.action == "view", AuditEvent.object_type == "course_progress",
                 AuditEvent.patient_id == patient.id) == 1


@pytest.mark.parametrize("path", ["/practice/courses", "/practice/courses/new"])
def test_patients_cannot_open_the_editor(client, auth, make_user, path):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert client.get(path).status_code == 403


def test_the_practice_navigation_links_to_the_course_editor(client, practitioner, course):
    page = client.get("/practice/courses").get_data(as_text=True)
    assert '<a href="/practice/courses" aria-current="page">Course</a>' in page and "Histamine Basics" in page
