"""Load the demo course (app/courses/demo: course.json plus Markdown lessons and resources) into the
database, published. Idempotent: a course whose slug already exists is left as it is.

A lesson's reading time is counted from its words (app/courses/reading.py), not taken from the
manifest, and a module quiz (a ```quiz block in its last lesson) must parse, or nothing is loaded."""
from __future__ import annotations

import json
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
