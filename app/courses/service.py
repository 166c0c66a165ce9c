"""Taking the course: who may read which lesson and when, enrolment, progress, resume and completion.

`lesson_access` is the one rule for reading a lesson, pure (no Flask, no database, "now" passed in):
views and templates ask it rather than deciding for themselves. Writes happen in the caller's
transaction; the route commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.billing import Payment
from app.models.courses import SOURCE_GRANTED, SOURCES, Course, Enrollment, Lesson, LessonProgress, Module
from app.notify.mail import queue_email
from app.refusals import Refusal

# Who is looking: the practitioner (sees everything, always), an enrolled patient, anyone else.
PRACTITIONER, ENROLLED, OTHER = "practitioner", "enrolled", "other"
OPEN, PREVIEW, LOCKED, DENIED = "open", "preview", "locked", "denied"


class CourseError(Refusal):
    pass


class AlreadyEnrolled(CourseError):
    status = 409


@dataclass(frozen=True)
class LessonAccess:
    state: str  # open, preview, locked (drip: opens_at), denied
    opens_at: datetime | None = None

    @property
    def readable(self) -> bool:
        return self.state in (OPEN, PREVIEW)


def lesson_access(*, preview: bool, drip_days: int, viewer: str, enrolled_at: datetime | None,
                  now: datetime) -> LessonAccess:
    """May this viewer read this lesson's body now? A preview is open to everyone; a lesson in a
    dripped module opens `drip_days` after the viewer's enrolment; otherwise only the enrolled."""
    if viewer == PRACTITIONER:
        return LessonAccess(OPEN)
    if viewer == ENROLLED and enrolled_at is not None:
        opens_at = enrolled_at + timedelta(days=drip_days)
        if now >= opens_at:
            return LessonAccess(OPEN)
        return LessonAccess(PREVIEW) if preview else LessonAccess(LOCKED, opens_at)
    return LessonAccess(PREVIEW) if preview else LessonAccess(DENIED)


# --- reads ----------------------------------------------------------------------------------------

def published_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.title)).all())


def course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug).options(
        selectinload(Course.modules).selectinload(Module.lessons).selectinload(Lesson.resources)))


def enrollment_for(patient: User | None, course: Course) -> Enrollment | None:
    if patient is None or not getattr(patient, "is_authenticated", False) or not patient.is_patient:
        return None
    return db.session.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id,
                                                      Enrollment.course_id == course.id))


def viewer_kind(user, enrollment: Enrollment | None) -> str:
    if getattr(user, "is_authenticated", False) and user.is_practitioner:
        return PRACTITIONER
    return ENROLLED if enrollment is not None else OTHER


def access_to(lesson: Lesson, viewer: str, enrollment: Enrollment | None, now: datetime) -> LessonAccess:
    return lesson_access(preview=lesson.preview, drip_days=lesson.module.drip_days, viewer=viewer,
                         enrolled_at=enrollment.enrolled_at if enrollment else None, now=now)


def progress_by_lesson(patient_id: int, course: Course) -> dict[int, LessonProgress]:
    rows = db.session.scalars(select(LessonProgress).join(Lesson, Lesson.id == LessonProgress.lesson_id).where(
        LessonProgress.patient_id == patient_id, Lesson.course_id == course.id)).all()
    return {row.lesson_id: row for row in rows}


@dataclass(frozen=True)
class Progress:
    completed: int
    total: int

    @property
    def percent(self) -> int:
        return self.completed * 100 // self.total if self.total else 0


def progress_of(course: Course, progress: dict[int, LessonProgress]) -> Progress:
    lessons = course.lessons
    return Progress(sum(1 for lesson in lessons if progress.get(lesson.id) and progress[lesson.id].completed_at),
                    len(lessons))


def resume_lesson(course: Course, enrollment: Enrollment | None, progress: dict[int, LessonProgress],
                  now: datetime) -> Lesson | None:
    """Where "Continue where you left off" goes: the lesson viewed last, unless it is finished, in
    which case the next unfinished lesson after it (or the first unfinished one, or the last viewed)."""
    lessons = course.lessons
    if not lessons:
        return None
    viewed = [lesson for lesson in lessons if lesson.id in progress]
    if not viewed:
        return lessons[0]
    last = max(viewed, key=lambda lesson: progress[lesson.id].last_viewed_at)
    if not progress[last.id].completed_at:
        return last
    unfinished = [lesson for lesson in lessons if not (progress.get(lesson.id) and progress[lesson.id].completed_at)]
    after = [lesson for lesson in unfinished if lessons.index(lesson) > lessons.index(last)]
    return (after or unfinished or [last])[0]


def neighbours(course: Course, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course.lessons
    at = lessons.index(lesson)
    return (lessons[at - 1] if at > 0 else None), (lessons[at + 1] if at + 1 < len(lessons) else None)


@dataclass(frozen=True)
class EnrolledCourse:
    course: Course
    enrollment: Enrollment
    progress: Progress
    resume: Lesson | None


def enrolments_of(patient: User, now: datetime) -> list[EnrolledCourse]:
    """The patient's courses with their progress, for /account."""
    enrolments = db.session.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id)
                                    .order_by(Enrollment.enrolled_at)).all()
    result = []
    for enrollment in enrolments:
        course = course_by_slug(enrollment.course.slug)
        assert course is not None  # the enrolment's own course, read again with its lessons loaded
        progress = progress_by_lesson(patient.id, course)
        result.append(EnrolledCourse(course, enrollment, progress_of(course, progress),
                                     resume_lesson(course, enrollment, progress, now)))
    return result


def completed_counts(course: Course) -> dict[int, tuple[int, datetime | None]]:
    """Per patient: lessons completed in this course and the last time they opened one."""
    rows = db.session.execute(
        select(LessonProgress.patient_id, func.count(LessonProgress.completed_at),
               func.max(LessonProgress.last_viewed_at))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id).where(Lesson.course_id == course.id)
        .group_by(LessonProgress.patient_id)).all()
    return {patient_id: (completed, last) for patient_id, completed, last in rows}


def course_enrolments(course: Course) -> list[Enrollment]:
    return list(db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id).options(selectinload(Enrollment.patient))
        .order_by(Enrollment.enrolled_at.desc())).all())


# --- writes ---------------------------------------------------------------------------------------

def enrol(patient: User, course: Course, *, source: str, now: datetime, payment: Payment | None = None,
          granted_by: User | None = None) -> Enrollment:
    """Enrol once (the unique index settles a race) and queue the welcome email with it."""
    if source not in SOURCES:
        raise ValueError(source)
    if not patient.is_patient:
        raise CourseError("Only patients can be enrolled in a course.")
    if enrollment_for(patient, course) is not None:
        raise AlreadyEnrolled(f"{patient.full_name} is already enrolled in this course.")
    enrollment = Enrollment(patient_id=patient.id, course_id=course.id, source=source, enrolled_at=now,
                            payment_id=payment.id if payment else None,
                            granted_by_id=granted_by.id if granted_by else None)
    try:
        with db.session.begin_nested():
            db.session.add(enrollment)
    except IntegrityError:
        raise AlreadyEnrolled(f"{patient.full_name} is already enrolled in this course.") from None
    record("enrol", "course_enrollment", enrollment.id, actor=granted_by or patient, patient_id=patient.id,
           detail={"course": course.slug, "source": source})
    queue_email(patient.email, "course_welcome", subject=f"Welcome to {course.title}",
                dedupe_key=f"course-welcome:{enrollment.id}", patient=patient, course=course,
                start_path=url_for("courses.learn", slug=course.slug), granted=source == SOURCE_GRANTED)
    return enrollment


def record_view(patient: User, lesson: Lesson, now: datetime) -> None:
    row = db.session.scalar(select(LessonProgress).where(LessonProgress.patient_id == patient.id,
                                                         LessonProgress.lesson_id == lesson.id))
    if row is not None:
        row.last_viewed_at = now
        return
    try:
        with db.session.begin_nested():
            db.session.add(LessonProgress(patient_id=patient.id, lesson_id=lesson.id, last_viewed_at=now))
    except IntegrityError:  # the same lesson opened twice at once: the other request recorded it
        pass


def complete_lesson(enrollment: Enrollment, lesson: Lesson, now: datetime) -> bool:
    """Mark a lesson complete (again is harmless). Returns True when this completed the course."""
    course = enrollment.course
    if not access_to(lesson, ENROLLED, enrollment, now).readable:
        raise CourseError("This lesson is not open yet.", status=403)
    record_view(enrollment.patient, lesson, now)
    row = db.session.scalar(select(LessonProgress).where(LessonProgress.patient_id == enrollment.patient_id,
                                                         LessonProgress.lesson_id == lesson.id))
    assert row is not None  # record_view just made sure of it (this request's row, or the racing one's)
    row.completed_at = row.completed_at or now
    db.session.flush()
    if enrollment.completed_at is not None:
        return False
    progress = progress_of(course, progress_by_lesson(enrollment.patient_id, course))
    if progress.total and progress.completed == progress.total:
        enrollment.completed_at = now
        patient = enrollment.patient
        record("complete", "course_enrollment", enrollment.id, actor=patient, patient_id=patient.id,
               detail={"course": course.slug})
        queue_email(patient.email, "course_completed", subject=f"You have completed {course.title}",
                    dedupe_key=f"course-completed:{enrollment.id}", patient=patient, course=course,
                    certificate_path=url_for("courses.certificate", slug=course.slug))
        return True
    return False
