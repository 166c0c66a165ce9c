"""Load the demo course (app/courses/demo: course.json plus Markdown lessons and resources) into the
database, published. Idempotent: a course whose slug already exists is not loaded again.

A lesson's reading time is counted from its words (app/courses/reading.py), not taken from the
manifest, and a module quiz (a ```quiz block in its last lesson) must parse, or nothing is loaded.

Content fixes reach a database that already has the course through `refresh_demo_course`: a lesson or
resource body is replaced only while it still equals a version this repository once shipped
(shipped-versions.json, written by tools/demo_course_versions.py), so what the practitioner edited in the
course editor is never overwritten; a lesson the manifest makes free (preview) becomes free, never the
reverse (the safety lessons, issue 23)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.courses.quiz import quiz_of
from app.courses.reading import minutes_to_read
from app.extensions import db
from app.models.courses import Course, Lesson, LessonResource, Module

DEMO_DIR = Path(__file__).parent / "demo"


def load_demo_course(directory: Path = DEMO_DIR) -> Course | None:
    """Create the course described by `directory`/course.json. Returns it, or None if already there."""
    manifest = json.loads((directory / "course.json").read_text(encoding="utf-8"))
    if db.session.scalar(select(Course.id).where(Course.slug == manifest["slug"])) is not None:
        return None
    course = Course(slug=manifest["slug"], title=manifest["title"], summary=manifest["summary"],
                    description=manifest["description"], who_for=manifest.get("who_for", ""),
                    price_minor=manifest["price_minor"], currency=manifest["currency"], published=True)
    db.session.add(course)
    db.session.flush()
    for m, module_data in enumerate(manifest["modules"]):
        module = Module(position=m, title=module_data["title"], drip_days=module_data.get("drip_days", 0))
        course.modules.append(module)
        for n, lesson_data in enumerate(module_data["lessons"]):
            body = _read(directory, lesson_data["file"])
            quiz_of(body)  # raises QuizError, naming the line, for a quiz the lesson page could not show
            lesson = Lesson(course_id=course.id, position=n, slug=lesson_data["slug"],
                            title=lesson_data["title"], body=body, minutes=minutes_to_read(body),
                            preview=lesson_data.get("preview", False))
            module.lessons.append(lesson)
            for r, resource_data in enumerate(lesson_data.get("resources", [])):
                lesson.resources.append(LessonResource(position=r, title=resource_data["title"],
                                                       body=_read(directory, resource_data["file"])))
    db.session.flush()
    return course


def _read(directory: Path, relative: str) -> str:
    path = (directory / relative).resolve()
    if directory.resolve() not in path.parents:
        raise ValueError(f"{relative} is outside the course directory")
    return path.read_text(encoding="utf-8").strip() + "\n"


@dataclass
class Refresh:
    """What `refresh_demo_course` changed, and what it left because the practitioner had edited it."""

    updated: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.updated)


def body_hash(body: str) -> str:
    return hashlib.sha256((body.strip() + "\n").encode("utf-8")).hexdigest()


def refresh_demo_course(directory: Path = DEMO_DIR) -> Refresh:
    """Bring an already-loaded demo course's untouched lessons and resources up to the shipped files.

    Matching is by lesson slug and, for a resource, its lesson and title. A body that equals the current
    file is left; one that equals an earlier shipped version is replaced (and its reading time recounted);
    any other body was edited in the course editor and is kept, named in ``kept_edited``."""
    result = Refresh()
    manifest = json.loads((directory / "course.json").read_text(encoding="utf-8"))
    course = db.session.scalar(select(Course).where(Course.slug == manifest["slug"]))
    if course is None:
        return result
    shipped_path = directory / "shipped-versions.json"
    shipped: dict[str, list[str]] = (json.loads(shipped_path.read_text(encoding="utf-8"))
                                     if shipped_path.exists() else {})
    lessons = {lesson.slug: lesson for lesson in course.lessons}
    for module_data in manifest["modules"]:
        for lesson_data in module_data["lessons"]:
            lesson = lessons.get(lesson_data["slug"])
            if lesson is None:
                continue
            if lesson_data.get("preview", False) and not lesson.preview:
                lesson.preview = True
                result.updated.append(f"{lesson.slug}: free to read")
            body = _read(directory, lesson_data["file"])
            if _replace(lesson.body, body, shipped.get(lesson_data["file"], []), lesson.slug, result):
                quiz_of(body)
                lesson.body, lesson.minutes = body, minutes_to_read(body)
            resources = {resource.title: resource for resource in lesson.resources}
            for resource_data in lesson_data.get("resources", []):
                resource = resources.get(resource_data["title"])
                if resource is None:
                    continue
                body = _read(directory, resource_data["file"])
                if _replace(resource.body, body, shipped.get(resource_data["file"], []),
                            f"{lesson.slug}: {resource.title}", result):
                    resource.body = body
    db.session.flush()
    return result


def _replace(stored: str, shipped_now: str, shipped_before: list[str], name: str, result: Refresh) -> bool:
    digest = body_hash(stored)
    if digest == body_hash(shipped_now):
        return False
    if digest in shipped_before:
        result.updated.append(name)
        return True
    result.kept_edited.append(name)
    return False
