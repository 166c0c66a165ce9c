"""The practitioner's course editor: validation and writes for courses, modules, lessons and their
printable resources, ordering, publishing, and granting a patient access.

Each write takes the values as typed into the form (strings), checks all of them and raises
EditError with every problem keyed by field name before it changes anything; then it writes, with
an audit record, in the caller's transaction. The route commits.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.courses import quiz, service
from app.courses.reading import minutes_to_read
from app.extensions import db
from app.models.accounts import User, find_user_by_email
from app.models.audit import record
from app.models.courses import SOURCE_GRANTED, Course, Enrollment, Lesson, LessonResource, Module
from app.money import AmountError, decimals, format_amount, parse_amount
from app.validation import Checker, FieldErrors

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MIN_PRICE_MINOR = 50  # Stripe's smallest charge in dollars, euros and pounds
MAX_DRIP_DAYS = 365
MAX_MINUTES = 240
COURSE_SLUG_TAKEN = "Another course already uses this address. Choose a different one."
LESSON_SLUG_TAKEN = "Another lesson in this course already uses this address. Choose a different one."


class EditError(FieldErrors):
    pass


class _Checker(Checker):
    """The shared field checks (app/validation.py), plus addresses (slugs) of courses and lessons."""
    error = EditError

    def slug(self, field: str, raw: object, fallback: str) -> str:
        value = ("" if raw is None else str(raw).strip()) or slugify(fallback)
        if not value:
            self.fail(field, "Enter an address made of lowercase letters, digits and hyphens, "
                             "like low-histamine-basics.")
        elif len(value) > 80:
            self.fail(field, "Use at most 80 characters.")
        elif not _SLUG.fullmatch(value):
            self.fail(field, "Use lowercase letters, digits and single hyphens between them, "
                             "like low-histamine-basics.")
        return value


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def _audit(course: Course, actor: User, what: str, **detail) -> None:
    record("update", "course", course.id, actor=actor, detail={"what": what, **detail})


# --- courses --------------------------------------------------------------------------------------

def course_values(course: Course | None) -> dict[str, object]:
    if course is None:
        return {"currency": "usd", "price": ""}
    return {"title": course.title, "slug": course.slug, "summary": course.summary, "description": course.description,
            "who_for": course.who_for, "price": format_amount(course.price_minor, course.currency),
            "currency": course.currency}


def save_course(values: Mapping[str, object], *, actor: User, existing: Course | None = None) -> Course:
    check = _Checker()
    title = check.line("title", values.get("title"), limit=200, required="Enter the course's title.")
    slug = check.slug("slug", values.get("slug"), title)
    if slug and "slug" not in check.errors and db.session.scalar(select(Course.id).where(
            Course.slug == slug, Course.id != (existing.id if existing else -1))):
        check.fail("slug", COURSE_SLUG_TAKEN)
    fields = {
        "title": title, "slug": slug,
        "summary": check.text("summary", values.get("summary"), limit=500,
                              required="Enter a one- or two-sentence summary for the catalogue."),
        "description": check.text("description", values.get("description"), limit=20_000),
        "who_for": check.text("who_for", values.get("who_for"), limit=10_000),
        **_price(check, values),
    }
    check.done()
    course = existing or Course()
    for name, value in fields.items():
        setattr(course, name, value)
    db.session.add(course)
    try:
        with db.session.begin_nested():  # the unique index settles a race for the same slug
            db.session.flush()
    except IntegrityError:
        raise EditError({"slug": COURSE_SLUG_TAKEN}) from None
    _audit(course, actor, "course", created=existing is None)
    return course


def _price(check: _Checker, values: Mapping[str, object]) -> dict:
    price_minor = 0
    currency = str(values.get("currency") or "").strip().lower()
    try:
        price_minor = parse_amount(str(values.get("price") or ""), currency)
    except AmountError as refused:
        check.fail("price", refused.message)
    else:
        if price_minor < MIN_PRICE_MINOR:
            check.fail("price", "Enter a price of at least 0.50, the smallest amount card payments allow. "
                                "To give the course for free, grant patients access instead.")
    if not re.fullmatch(r"[a-z]{3}", currency):
        check.fail("currency", "Enter a three-letter ISO currency code, like USD or EUR.")
    elif decimals(currency) != 2:  # prices are typed with two decimals here
        check.fail("currency", f"{currency.upper()} has no cents-style minor unit, which prices here assume. "
                               "Choose a currency such as USD, EUR or GBP.")
    return {"price_minor": price_minor, "currency": currency}


def set_published(course: Course, published: bool, *, actor: User) -> None:
    if published and not course.lessons:
        raise EditError({"publish": "Add at least one lesson before publishing the course."})
    course.published = published
    _audit(course, actor, "published" if published else "unpublished")


# --- modules --------------------------------------------------------------------------------------

def module_values(module: Module | None) -> dict[str, object]:
    return {"title": module.title, "drip_days": str(module.drip_days)} if module else {"drip_days": "0"}


def save_module(course: Course, values: Mapping[str, object], *, actor: User, existing: Module | None = None) -> Module:
    check = _Checker()
    title = check.line("title", values.get("title"), limit=200, required="Enter the module's title.")
    drip = check.whole("drip_days", values.get("drip_days"), 0, MAX_DRIP_DAYS, blank=0,
                       message=f"Enter a whole number of days from 0 to {MAX_DRIP_DAYS} (0 opens it at enrolment).")
    check.done()
    assert drip is not None  # a blank field is 0, and a bad one failed the check: done() raised
    module = existing or Module(course=course, position=_next_position(course.modules))
    module.title, module.drip_days = title, drip
    db.session.add(module)
    db.session.flush()
    _audit(course, actor, "module", id=module.id, created=existing is None)
    return module


def delete_module(module: Module, *, actor: User) -> None:
    if module.lessons:
        raise EditError({"module": "This module still has lessons. Delete or move them to another module first."},
                        status=409)
    course = module.course
    course.modules.remove(module)
    db.session.flush()
    _audit(course, actor, "module", id=module.id, deleted=True)


# --- lessons --------------------------------------------------------------------------------------

def lesson_values(lesson: Lesson | None, module: Module | None = None) -> dict[str, object]:
    if lesson is None:
        return {"preview": False, "module_id": str(module.id) if module else ""}
    return {"title": lesson.title, "slug": lesson.slug, "preview": lesson.preview,
            "body": lesson.body, "module_id": str(lesson.module_id)}


def save_lesson(course: Course, values: Mapping[str, object], *, actor: User, existing: Lesson | None = None) -> Lesson:
    check = _Checker()
    title = check.line("title", values.get("title"), limit=200, required="Enter the lesson's title.")
    slug = check.slug("slug", values.get("slug"), title)
    if slug and "slug" not in check.errors and db.session.scalar(select(Lesson.id).where(
            Lesson.course_id == course.id, Lesson.slug == slug, Lesson.id != (existing.id if existing else -1))):
        check.fail("slug", LESSON_SLUG_TAKEN)
    body = check.text("body", values.get("body"), limit=100_000, required="Write the lesson (Markdown).")
    # The reading time is the words' (app/courses/reading.py), never typed: it cannot drift from the text.
    minutes = min(MAX_MINUTES, minutes_to_read(body))
    if body and "body" not in check.errors:
        try:
            quiz.quiz_of(body)
        except quiz.QuizError as error:
            check.fail("body", f"The quiz cannot be used: {error}")
    module = _module_of(course, values.get("module_id"))
    if module is None:
        check.fail("module_id", "Choose one of this course's modules.")
    check.done()
    assert module is not None  # done() raised for the failed module_id above
    lesson = existing
    if lesson is None or lesson.module_id != module.id:
        position = _next_position(module.lessons)
        if lesson is None:
            lesson = Lesson(course_id=course.id, module=module, position=position)
        else:
            lesson.module, lesson.position = module, position
    lesson.title, lesson.slug, lesson.minutes, lesson.body = title, slug, minutes, body
    lesson.preview = bool(values.get("preview"))
    db.session.add(lesson)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise EditError({"slug": LESSON_SLUG_TAKEN}) from None
    _audit(course, actor, "lesson", id=lesson.id, created=existing is None)
    return lesson


def _module_of(course: Course, raw: object) -> Module | None:
    value = str(raw or "").strip()
    return next((m for m in course.modules if value.isdigit() and m.id == int(value)), None)


def delete_lesson(lesson: Lesson, *, actor: User) -> None:
    course = lesson.module.course
    lesson.module.lessons.remove(lesson)
    db.session.flush()
    _audit(course, actor, "lesson", id=lesson.id, deleted=True)
    if course.published and not course.lessons:
        course.published = False  # a published course without lessons would sell nothing


# --- resources ------------------------------------------------------------------------------------

def resource_values(resource: LessonResource | None) -> dict[str, object]:
    return {"title": resource.title, "body": resource.body} if resource else {}


def save_resource(lesson: Lesson, values: Mapping[str, object], *, actor: User,
                  existing: LessonResource | None = None) -> LessonResource:
    check = _Checker()
    title = check.line("title", values.get("title"), limit=200, required="Enter the resource's title.")
    body = check.text("body", values.get("body"), limit=100_000, required="Write the resource (Markdown).")
    check.done()
    resource = existing or LessonResource(lesson=lesson, position=_next_position(lesson.resources))
    resource.title, resource.body = title, body
    db.session.add(resource)
    db.session.flush()
    _audit(lesson.module.course, actor, "resource", id=resource.id, lesson=lesson.id, created=existing is None)
    return resource


def delete_resource(resource: LessonResource, *, actor: User) -> None:
    lesson = resource.lesson
    lesson.resources.remove(resource)
    db.session.flush()
    _audit(lesson.module.course, actor, "resource", id=resource.id, deleted=True)


# --- order ----------------------------------------------------------------------------------------

def _next_position(siblings) -> int:
    return max((item.position for item in siblings), default=-1) + 1


def move(course: Course, siblings: list, item, direction: str, *, actor: User) -> bool:
    """Swap `item` with its neighbour above ("up") or below ("down"). False at either end.
    Positions are renumbered 0..n-1 first, so gaps left by deletions never stall a move."""
    if direction not in ("up", "down"):
        raise EditError({"direction": "Choose up or down."})
    ordered = sorted(siblings, key=lambda s: (s.position, s.id))
    for position, sibling in enumerate(ordered):
        sibling.position = position
    at = ordered.index(item)
    other = at - 1 if direction == "up" else at + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[at].position, ordered[other].position = other, at
    db.session.flush()
    _audit(course, actor, "order", moved=f"{type(item).__name__} {item.id} {direction}")
    return True


# --- access ---------------------------------------------------------------------------------------

def grant_access(course: Course, email: object, *, actor: User, now: datetime) -> Enrollment:
    address = str(email or "").strip()
    if not address:
        raise EditError({"email": "Enter the email address the patient uses to sign in."})
    patient = find_user_by_email(address)
    if patient is None:
        raise EditError({"email": "No patient has an account with that email. Ask them to register first."})
    if not patient.is_patient:
        raise EditError({"email": "That account is not a patient's. Only patients can be enrolled."})
    try:
        return service.enrol(patient, course, source=SOURCE_GRANTED, now=now, granted_by=actor)
    except service.AlreadyEnrolled as error:
        raise EditError({"email": error.message}, status=409) from None
