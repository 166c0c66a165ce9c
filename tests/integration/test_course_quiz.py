"""The module quiz on a lesson page: shown to whoever may read the lesson, graded on POST with an
explanation per question, refused to anyone who may not read it, and never stored. Also the
emergency steps a lesson shows: the one canonical list, in its order."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import event

from app.extensions import db
from app.intake import red_flags
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import (
    body_marker,
    build_course,
    enrol,
    lesson_url,
)
from tests.support.web import csrf_token

QUIZ = """

```quiz
? Which receptor mainly carries histamine's wake-promoting effect?
- H2
+ H1
- H4
= H1 receptors in the brain: older antihistamines that reach it make people drowsy.

? Where does DAO mostly work?
+ In the gut lining
- In the brain
= DAO breaks down histamine from food in the gut lining.

? Is a quiz score stored?
- Yes
+ No
= Nothing is stored.
```
"""
LESSON = "mast-cells"  # not a preview, open at enrolment


@pytest.fixture
def course(app):
    course = build_course()
    lesson = next(item for item in course.lessons if item.slug == LESSON)
    lesson.body += QUIZ
    db.session.commit()
    return course


@pytest.fixture
def patient(client, auth, make_user, course):
    user = make_user("ada@example.com")
    enrol(user, course)
    auth.login(user.email, DEFAULT_PASSWORD)
    return user


@pytest.fixture
def writes(app):
    """Every INSERT, UPDATE or DELETE sent to the database while the test runs, except the signed-in
    session's once-a-minute "last seen" touch, which belongs to signing in, not to the quiz."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and "user_sessions" not in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def quiz_url(slug: str = LESSON) -> str:
    return f"{lesson_url(slug)}/quiz"


def answer(client, answers: dict[str, str], slug: str = LESSON):
    token = csrf_token(client, lesson_url(slug))
    return client.post(quiz_url(slug), data={**answers, "csrf_token": token})


def test_the_quiz_shows_after_the_lesson_as_labelled_questions(client, patient):
    page = client.get(lesson_url(LESSON)).get_data(as_text=True)
    assert '<h2 id="quiz-title">Check your understanding</h2>' in page
    assert "<legend>1. Which receptor mainly carries histamine&#39;s wake-promoting effect?</legend>" in page
    assert '<input type="radio" id="q1-1" name="q1" value="1">' in page and '<label for="q1-1">H1</label>' in page
    assert "```quiz" not in page and "= DAO breaks down" not in page
    assert "older antihistamines" not in page  # explanations come only with the answers


def test_answers_are_graded_with_an_explanation_for_each_question(client, patient):
    response = answer(client, {"q1": "1", "q2": "1"})  # right, wrong, unanswered
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You got 1 of 3 right." in page and "1 not answered." in page
    feedback = re.findall(r'<div id="q(\d)-feedback" class="quiz-feedback">(.*?)</div>', page, re.DOTALL)
    assert [number for number, _ in feedback] == ["1", "2", "3"]
    assert "Right" in feedback[0][1] and "older antihistamines" in feedback[0][1]
    assert "Not quite" in feedback[1][1] and "The answer is: In the gut lining." in feedback[1][1]
    assert "Not answered" in feedback[2][1] and "The answer is: No." in feedback[2][1]
    assert '<input type="radio" id="q2-1" name="q2" value="1" checked>' in page  # her choice stays shown


def test_an_answer_that_is_not_a_choice_gets_a_clear_message(client, patient):
    response = answer(client, {"q1": "7"})
    assert response.status_code == 422
    assert "Question 1: choose one of the answers shown." in response.get_data(as_text=True)


def test_answering_writes_nothing_to_the_database(client, patient, writes):
    token = csrf_token(client, lesson_url(LESSON))  # opening the lesson records the view: not the quiz
    writes.clear()
    response = client.post(quiz_url(), data={"q1": "1", "q2": "0", "q3": "1", "csrf_token": token})
    assert response.status_code == 200 and "You got 3 of 3 right." in response.get_data(as_text=True)
    assert writes == []


@pytest.mark.parametrize("viewer", ["outsider", "anonymous"])
def test_a_patient_who_is_not_enrolled_gets_no_quiz(client, auth, make_user, course, viewer):
    if viewer == "outsider":
        make_user("bea@example.com")
        auth.login("bea@example.com", DEFAULT_PASSWORD)
    page = client.get(lesson_url(LESSON), follow_redirects=True).get_data(as_text=True)
    assert "Which receptor" not in page and body_marker(LESSON) not in page
    response = client.post(quiz_url(), data={"q1": "1", "csrf_token": csrf_token(client, "/courses")})
    assert response.status_code in (302, 303) and "Which receptor" not in response.get_data(as_text=True)
    assert "older antihistamines" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_preview_lesson_quiz_is_open_to_visitors(client, course):
    lesson = next(item for item in course.lessons if item.preview)
    lesson.body += QUIZ
    db.session.commit()
    assert "Check your understanding" in client.get(lesson_url(lesson.slug)).get_data(as_text=True)
    response = answer(client, {"q1": "1"}, slug=lesson.slug)
    assert response.status_code == 200 and "You got 1 of 3 right." in response.get_data(as_text=True)


def test_a_lesson_without_a_quiz_has_no_quiz_to_answer(client, patient):
    assert answer(client, {"q1": "1"}, slug="what-histamine-is").status_code == 404


def test_a_lesson_lists_the_emergency_steps_in_the_canonical_order(client, patient, course):
    lesson = next(item for item in course.lessons if item.slug == LESSON)
    lesson.body = "If this happens:\n\n{{emergency-steps}}\n\nNothing here replaces urgent care."
    db.session.commit()
    page = client.get(lesson_url(LESSON)).get_data(as_text=True)
    body = page.split('<div class="prose lesson-body">', 1)[1].split("</div>\n", 1)[0]
    items = [unescape(item) for item in re.findall(r"<ol><li>(.*?)</li></ol>", body, re.DOTALL)[0].split("</li><li>")]
    assert items == list(red_flags.EMERGENCY_STEPS)
    assert red_flags.EMERGENCY_TITLE in unescape(body)
    assert "{{emergency-steps}}" not in page
