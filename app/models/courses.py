"""The course: its modules and lessons (Markdown), printable resources, who is enrolled, and how far
each patient has got. Prices are integer minor units plus an ISO currency, like every price here."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from app.models.accounts import User
from app.models.types import UTCDateTime

SOURCE_PURCHASE = "purchase"
SOURCE_GRANTED = "granted"
SOURCES = (SOURCE_PURCHASE, SOURCE_GRANTED)


class Course(Model):
    __tablename__ = "courses"
    __table_args__ = (CheckConstraint("price_minor >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    who_for: Mapped[str] = mapped_column(Text, default="")  # Markdown
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(back_populates="course", cascade="all, delete-orphan",
                                                 order_by="(Module.position, Module.id)")

    @property
    def lessons(self) -> list[Lesson]:
        """Every lesson in reading order: module by module."""
        return [lesson for module in self.modules for lesson in module.lessons]

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.slug}>"


class Module(Model):
    __tablename__ = "course_modules"
    __table_args__ = (
        CheckConstraint("drip_days >= 0", name="drip_not_negative"),
        Index("ix_course_modules_course_position", "course_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    # Lessons of this module open this many days after the patient's enrolment (0: at once).
    drip_days: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", cascade="all, delete-orphan",
                                                 order_by="(Lesson.position, Lesson.id)")

    def opens_at(self, enrolled_at: datetime) -> datetime:
        return enrolled_at + timedelta(days=self.drip_days)


class Lesson(Model):
    __tablename__ = "course_lessons"
    __table_args__ = (
        # The slug is the lesson's address inside its course: /courses/<course>/learn/<lesson>.
        UniqueConstraint("course_id", "slug", name="uq_course_lessons_course_slug"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_course_lessons_module_position", "module_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept equal to module.course_id by the editor; it lets the database keep slugs unique per course.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id", ondelete="CASCADE"))
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    minutes: Mapped[int] = mapped_column(default=5)
    preview: Mapped[bool] = mapped_column(default=False)  # readable without buying
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship(back_populates="lessons")
    resources: Mapped[list[LessonResource]] = relationship(
        back_populates="lesson", cascade="all, delete-orphan", order_by="(LessonResource.position, LessonResource.id)")


class LessonResource(Model):
    """A printable companion to a lesson (a food list, a diary), written in Markdown."""

    __tablename__ = "lesson_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("course_lessons.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown

    lesson: Mapped[Lesson] = relationship(back_populates="resources")


class Enrollment(Model):
    __tablename__ = "course_enrollments"
    __table_args__ = (
        UniqueConstraint("patient_id", "course_id", name="uq_course_enrollments_patient_course"),
        CheckConstraint("source IN ('purchase', 'granted')", name="known_source"),
        Index("ix_course_enrollments_course", "course_id", "enrolled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(20))  # "purchase" or "granted"
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    course: Mapped[Course] = relationship()


class LessonProgress(Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("patient_id", "lesson_id", name="uq_lesson_progress_patient_lesson"),
        Index("ix_lesson_progress_lesson", "lesson_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("course_lessons.id", ondelete="CASCADE"))
    last_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
