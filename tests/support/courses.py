"""Factories shared by the course tests.

`build_course()` makes a small published course: module "Basics" (open at enrolment) with a preview
lesson and a normal one, and module "Later" (opens 7 days after enrolment) with a lesson that has a
printable resource. Every body carries a marker, so a test can tell whether a body was sent."""
from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.models.courses import Course, Enrollment, Lesson, LessonResource, Module

PRICE = 4900
SLUG = "histamine-basics"


def body_marker(slug: str) -> str:
    return f"BODY-OF-{slug.upper()}"


def build_course(*, published: bool = True, slug: str = SLUG, price_minor: int = PRICE,
                 modules=(("Basics", 0, (("what-histamine-is", True), ("mast-cells", False))),
                          ("Later", 7, (("food-list", False),)))) -> Course:
    course = Course(slug=slug, title="Histamine Basics", summary="A short course.", description="All about **it**.",
                    who_for="- People with symptoms", price_minor=price_minor, currency="usd", published=published)
    db.session.add(course)
    db.session.flush()
    for m, (title, drip_days, lessons) in enumerate(modules):
        module = Module(position=m, title=title, drip_days=drip_days)
        course.modules.append(module)
        for n, (lesson_slug, preview) in enumerate(lessons):
            lesson = Lesson(course_id=course.id, position=n, slug=lesson_slug,
                            title=lesson_slug.replace("-", " ").capitalize(), minutes=5, preview=preview,
                            body=f"Intro paragraph.\n\n{body_marker(lesson_slug)}\n")
            module.lessons.append(lesson)
            if lesson_slug == "food-list":
                table = "| Food | Notes |\n|---|---|\n| Rice | Fine |"
                lesson.resources.append(LessonResource(position=0, title="Printable food list",
                                                       body=f"RESOURCE-BODY\n\n{table}"))
    db.session.commit()
    return course


def enrol(patient, course: Course, *, at: datetime | None = None, source: str = "granted") -> Enrollment:
    """Enrol directly in the database (the ways of enrolling are tested on their own)."""
    enrollment = Enrollment(patient_id=patient.id, course_id=course.id, source=source)
    if at is not None:
        enrollment.enrolled_at = at
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


def lesson_url(slug: str, course_slug: str = SLUG) -> str:
    return f"/courses/{course_slug}/learn/{slug}"


def resource_url(course: Course, lesson_slug: str = "food-list") -> str:
    lesson = next(item for item in course.lessons if item.slug == lesson_slug)
    return f"{lesson_url(lesson_slug, course.slug)}/resources/{lesson.resources[0].id}"
