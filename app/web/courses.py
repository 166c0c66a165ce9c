"""The course for patients: catalogue, landing page and purchase, lessons, progress, certificate.

A lesson's body leaves the server only when `service.lesson_access` says it is readable: a preview,
or an enrolled patient once the lesson's module has opened, or the practitioner. Everyone else is
sent to log in (anonymous) or to the landing page (signed in, not enrolled); a dripped lesson that
has not opened yet is a 403 page saying when it opens.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.billing.checkout import AlreadyPaid, CheckoutUnavailable
from app.billing.client import enabled as payments_enabled
from app.clock import utcnow
from app.courses import purchase, quiz, service
from app.courses.markdown import render as render_markdown
from app.database import writes
from app.extensions import db
from app.models.courses import Course

bp = Blueprint("courses", __name__, url_prefix="/courses")


def courses_of(user, now: datetime) -> list[service.EnrolledCourse]:
    """The signed-in patient's courses with progress (the account home's view gathers them)."""
    if not getattr(user, "is_authenticated", False) or not user.is_patient:
        return []
    return service.enrolments_of(user, now)


@bp.app_template_filter("markdown")
def markdown_filter(source: str | None, top: int | None = None):
    """`text|markdown(2)`: the text's headings start at h2 (see app/courses/markdown.render)."""
    return render_markdown(source, top)


def _zone() -> str:
    return current_user.timezone if current_user.is_authenticated else "UTC"


def _course(slug: str) -> tuple[Course, service.Enrollment | None, str]:
    """The course, the viewer's enrolment and who the viewer is. An unpublished course exists only
    for the practitioner and for patients already enrolled in it."""
    course = service.course_by_slug(slug)
    if course is None:
        abort(404, "We couldn't find that course.")
    enrollment = service.enrollment_for(current_user, course)
    viewer = service.viewer_kind(current_user, enrollment)
    if not course.published and viewer == service.OTHER:
        abort(404, "We couldn't find that course.")
    return course, enrollment, viewer


def _states(course: Course, viewer: str, enrollment, now) -> dict[int, service.LessonAccess]:
    return {lesson.id: service.access_to(lesson, viewer, enrollment, now) for lesson in course.lessons}


@bp.get("")
def catalogue():
    courses = service.published_courses()
    mine = {entry.course.id: entry for entry in courses_of(current_user, utcnow())}
    return render_template("courses/catalogue.html", courses=courses, mine=mine)


@bp.get("/<slug>")
def landing(slug: str):
    course, enrollment, viewer = _course(slug)
    now = utcnow()
    progress = resume = None
    done = {}
    if enrollment is not None:
        done = service.progress_by_lesson(current_user.id, course)
        progress = service.progress_of(course, done)
        resume = service.resume_lesson(course, enrollment, done, now)
    return render_template("courses/landing.html", course=course, enrollment=enrollment, viewer=viewer,
                           progress=progress, progress_rows=done, resume=resume,
                           states=_states(course, viewer, enrollment, now),
                           for_sale=course.published and payments_enabled(), zone=_zone())


@bp.post("/<slug>/buy")
def buy(slug: str):
    if not current_user.is_authenticated:
        flash("Log in or create an account to buy the course.", "info")
        return redirect(url_for("auth.login", next=url_for("courses.landing", slug=slug)), 303)
    course, enrollment, viewer = _course(slug)
    if viewer == service.PRACTITIONER:
        abort(403, "Practitioners give patients access from the practice area.")
    if enrollment is not None:
        flash("You are already enrolled in this course.", "info")
        return redirect(url_for("courses.learn", slug=slug), 303)
    if not course.published or not payments_enabled():
        abort(409, "This course is not for sale yet.")
    now = utcnow()
    payment = purchase.find_or_create_payment(course, current_user, now)
    db.session.commit()
    try:
        url = purchase.start(payment, now)
    except AlreadyPaid as paid:  # paid a moment ago (another tab; the webhook not yet here): fulfil it
        db.session.rollback()
        return redirect(url_for("billing.checkout_return", session_id=str(paid)), 303)
    except CheckoutUnavailable:
        db.session.rollback()
        return render_template("courses/unavailable.html", course=course), 503
    db.session.commit()
    return redirect(url, 303)


@bp.get("/<slug>/learn")
def learn(slug: str):
    """Resume: the lesson the patient was on, or the next one to do."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    course, enrollment, viewer = _course(slug)
    if viewer == service.OTHER:
        flash("Enrol in the course to open its lessons.", "info")
        return redirect(url_for("courses.landing", slug=slug))
    progress = service.progress_by_lesson(current_user.id, course) if enrollment else {}
    lesson = service.resume_lesson(course, enrollment, progress, utcnow())
    if lesson is None:
        flash("This course has no lessons yet.", "info")
        return redirect(url_for("courses.landing", slug=slug))
    return redirect(url_for("courses.lesson", slug=slug, lesson_slug=lesson.slug))


def _readable_lesson(slug: str, lesson_slug: str):
    """The lesson if this viewer may read it now; otherwise the response that refuses it."""
    course, enrollment, viewer = _course(slug)
    lesson = next((item for item in course.lessons if item.slug == lesson_slug), None)
    if lesson is None:
        abort(404, "We couldn't find that lesson.")
    now = utcnow()
    access = service.access_to(lesson, viewer, enrollment, now)
    if access.state == service.DENIED:
        if not current_user.is_authenticated:
            flash("Log in to continue the course.", "info")
            return None, redirect(url_for("auth.login", next=request.path))
        flash("This lesson is part of the course. Enrol to read it.", "info")
        return None, redirect(url_for("courses.landing", slug=slug))
    if access.state == service.LOCKED:
        page = render_template("courses/locked.html", course=course, lesson=lesson, opens_at=access.opens_at,
                               zone=_zone())
        return None, (page, 403)
    return (course, lesson, enrollment, viewer, access, now), None


@bp.get("/<slug>/learn/<lesson_slug>")
@writes  # records where she is in the course
def lesson(slug: str, lesson_slug: str):
    found, refusal = _readable_lesson(slug, lesson_slug)
    if refusal is not None:
        return refusal
    course, lesson, enrollment, viewer, access, now = found
    progress = {}
    if enrollment is not None:
        service.record_view(current_user, lesson, now)
        db.session.commit()
        progress = service.progress_by_lesson(current_user.id, course)
    return _lesson_page(course, lesson, enrollment, viewer, progress, now)


def _lesson_page(course, lesson, enrollment, viewer, progress, now, graded=None, quiz_error=None):
    previous, following = service.neighbours(course, lesson)
    return render_template("courses/lesson.html", course=course, lesson=lesson, enrollment=enrollment,
                           viewer=viewer, progress_rows=progress, summary=service.progress_of(course, progress),
                           states=_states(course, viewer, enrollment, now), previous=previous,
                           following=following, zone=_zone(), quiz=_quiz(lesson), graded=graded,
                           quiz_error=quiz_error)


def _quiz(lesson) -> quiz.Quiz | None:
    try:
        return quiz.quiz_of(lesson.body)
    except quiz.QuizError:  # the editor refuses these; a lesson saved before then shows no quiz
        return None


@bp.post("/<slug>/learn/<lesson_slug>/quiz")
def answer_quiz(slug: str, lesson_slug: str):
    """Grade the module quiz and show the answers with their explanations. Nothing is recorded:
    not the answers, not the score, not even that the lesson was opened."""
    found, refusal = _readable_lesson(slug, lesson_slug)
    if refusal is not None:
        return refusal
    course, lesson, enrollment, viewer, _, now = found
    lesson_quiz = _quiz(lesson)
    if lesson_quiz is None:
        abort(404, "This lesson has no quiz.")
    progress = service.progress_by_lesson(current_user.id, course) if enrollment else {}
    try:
        graded = quiz.grade(lesson_quiz, request.form)
    except quiz.QuizError as error:
        return _lesson_page(course, lesson, enrollment, viewer, progress, now, quiz_error=str(error)), 422
    return _lesson_page(course, lesson, enrollment, viewer, progress, now, graded=graded)


@bp.post("/<slug>/learn/<lesson_slug>/complete")
@login_required
def complete(slug: str, lesson_slug: str):
    course, enrollment, viewer = _course(slug)
    if enrollment is None:
        abort(403, "Only patients enrolled in the course can mark lessons complete.")
    lesson = next((item for item in course.lessons if item.slug == lesson_slug), None)
    if lesson is None:
        abort(404, "We couldn't find that lesson.")
    finished = service.complete_lesson(enrollment, lesson, utcnow())
    db.session.commit()
    if finished:
        flash("Congratulations: you have completed the course.", "success")
        return redirect(url_for("courses.certificate", slug=slug), 303)
    flash(f"“{lesson.title}” marked complete.", "success")
    _, following = service.neighbours(course, lesson)
    target = following.slug if following else None
    if target is None:
        return redirect(url_for("courses.learn", slug=slug), 303)
    return redirect(url_for("courses.lesson", slug=slug, lesson_slug=target), 303)


@bp.get("/<slug>/learn/<lesson_slug>/resources/<int:resource_id>")
def resource(slug: str, lesson_slug: str, resource_id: int):
    found, refusal = _readable_lesson(slug, lesson_slug)
    if refusal is not None:
        return refusal
    course, lesson, *_ = found
    item = next((r for r in lesson.resources if r.id == resource_id), None)
    if item is None:
        abort(404, "We couldn't find that resource.")
    return render_template("courses/resource.html", course=course, lesson=lesson, resource=item)


@bp.get("/<slug>/certificate")
@login_required
def certificate(slug: str):
    course, enrollment, _ = _course(slug)
    if enrollment is None or enrollment.completed_at is None:
        abort(403, "The certificate is available once you have completed every lesson of the course.")
    return render_template("courses/certificate.html", course=course, enrollment=enrollment, zone=_zone())
