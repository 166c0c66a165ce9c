"""The practitioner's course editor under /practice/courses: courses, modules, lessons and their
printable resources; order (up and down buttons, no JavaScript); a Markdown preview exactly as
patients will see it; publishing; granting access; enrolments and each patient's progress.

Views read the form, call one function of app.courses.editor and commit. The forms carry no
validators of their own: the service checks everything and every problem comes back at once (422).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from app.clock import utcnow
from app.courses import editor, quiz, service
from app.courses.markdown import render as render_markdown
from app.courses.reading import WORDS_PER_MINUTE, minutes_to_read, word_count
from app.database import writes
from app.extensions import db
from app.models.audit import record
from app.models.courses import Course, Enrollment, Lesson, LessonResource, Module
from app.web import editing
from app.web.access import practitioner_required

bp = Blueprint("course_editor", __name__, url_prefix="/practice/courses")


class CourseForm(FlaskForm):
    title = StringField("Title")
    slug = StringField("Address (slug)")
    summary = TextAreaField("Summary")
    description = TextAreaField("Description (Markdown)")
    who_for = TextAreaField("Who it is for (Markdown)")
    price = StringField("Price")
    currency = StringField("Currency")


class ModuleForm(FlaskForm):
    title = StringField("Title")
    drip_days = StringField("Opens this many days after enrolment")


class LessonForm(FlaskForm):
    title = StringField("Title")
    slug = StringField("Address (slug)")
    module_id = SelectField("Module", choices=[])
    preview = BooleanField("Free preview: anyone can read this lesson without buying")
    body = TextAreaField("Lesson (Markdown)")


class ResourceForm(FlaskForm):
    title = StringField("Title")
    body = TextAreaField("Printable page (Markdown)")


class GrantForm(FlaskForm):
    email = StringField("Patient's email")


# --- shared ---------------------------------------------------------------------------------------

def _course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404, "We couldn't find that course.")
    return course


def _module_or_404(course: Course, module_id: int) -> Module:
    module = next((m for m in course.modules if m.id == module_id), None)
    if module is None:
        abort(404, "We couldn't find that module.")
    return module


def _lesson_or_404(course: Course, lesson_id: int) -> Lesson:
    lesson = next((item for item in course.lessons if item.id == lesson_id), None)
    if lesson is None:
        abort(404, "We couldn't find that lesson.")
    return lesson


def _preview_requested() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


# --- courses --------------------------------------------------------------------------------------

@bp.get("")
@practitioner_required
def courses():
    rows = db.session.scalars(select(Course).order_by(Course.title)).all()
    counts = dict(db.session.execute(select(Enrollment.course_id, func.count()).group_by(Enrollment.course_id)).all())
    return render_template("practice/courses/list.html", courses=rows, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@practitioner_required
def new_course():
    return _course_form(None)


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@practitioner_required
def edit_course(course_id: int):
    return _course_form(_course_or_404(course_id))


def _course_form(course: Course | None):
    form = CourseForm() if request.method == "POST" else CourseForm(data=editor.course_values(course))
    context: dict[str, object] = {"course": course}
    if _preview_requested():
        context["preview"] = render_markdown(form.description.data, 3)  # as on the landing page
    elif request.method == "POST":
        try:
            saved = editor.save_course(editing.form_values(form), actor=current_user, existing=course)
        except editor.EditError as error:
            return editing.refused(form, error, "practice/courses/course.html", **context)
        return editing.saved(f"Saved “{saved.title}”.", "course_editor.edit_course", course_id=saved.id)
    return render_template("practice/courses/course.html", form=form, **context)


@bp.post("/<int:course_id>/publish")
@practitioner_required
def publish(course_id: int):
    course = _course_or_404(course_id)
    published = request.form.get("published") == "1"
    editor.set_published(course, published, actor=current_user)
    state = "published: patients can find and buy it" if published else "unpublished: it is hidden from new patients"
    return editing.saved(f"“{course.title}” is {state}.", "course_editor.edit_course", course_id=course.id)


# --- modules --------------------------------------------------------------------------------------

@bp.route("/<int:course_id>/modules/new", methods=["GET", "POST"])
@practitioner_required
def new_module(course_id: int):
    return _module_form(_course_or_404(course_id), None)


@bp.route("/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
@practitioner_required
def edit_module(course_id: int, module_id: int):
    course = _course_or_404(course_id)
    return _module_form(course, _module_or_404(course, module_id))


def _module_form(course: Course, module: Module | None):
    form = ModuleForm() if request.method == "POST" else ModuleForm(data=editor.module_values(module))
    context = {"course": course, "module": module}
    if request.method == "POST":
        try:
            saved = editor.save_module(course, editing.form_values(form), actor=current_user, existing=module)
        except editor.EditError as error:
            return editing.refused(form, error, "practice/courses/module.html", **context)
        return editing.saved(f"Saved the module “{saved.title}”.", "course_editor.edit_course", course_id=course.id)
    return render_template("practice/courses/module.html", form=form, **context)


@bp.post("/<int:course_id>/modules/<int:module_id>/move")
@practitioner_required
def move_module(course_id: int, module_id: int):
    course = _course_or_404(course_id)
    module = _module_or_404(course, module_id)
    return _moved(course, course.modules, module, module.title)


@bp.post("/<int:course_id>/modules/<int:module_id>/delete")
@practitioner_required
def delete_module(course_id: int, module_id: int):
    course = _course_or_404(course_id)
    module = _module_or_404(course, module_id)
    editor.delete_module(module, actor=current_user)
    return editing.saved(f"Deleted the module “{module.title}”.", "course_editor.edit_course", course_id=course.id)


def _moved(course: Course, siblings: list, item, title: str):
    direction = request.form.get("direction", "")
    moved = editor.move(course, siblings, item, direction, actor=current_user)
    end = "top" if direction == "up" else "bottom"
    message = f"Moved “{title}” {direction}." if moved else f"“{title}” is already at the {end}."
    return editing.saved(message, "course_editor.edit_course", course_id=course.id)


# --- lessons --------------------------------------------------------------------------------------

def _lesson_form_for(course: Course, data: dict | None = None) -> LessonForm:
    form = LessonForm() if data is None else LessonForm(data=data)
    form.module_id.choices = [(str(m.id), m.title) for m in course.modules]
    return form


@bp.route("/<int:course_id>/lessons/new", methods=["GET", "POST"])
@practitioner_required
def new_lesson(course_id: int):
    course = _course_or_404(course_id)
    if not course.modules:
        flash("Add a module first: every lesson belongs to one.", "info")
        return redirect(url_for("course_editor.new_module", course_id=course.id))
    module = next((m for m in course.modules if str(m.id) == request.args.get("module")), course.modules[-1])
    return _lesson_form(course, None, editor.lesson_values(None, module))


@bp.route("/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@practitioner_required
def edit_lesson(course_id: int, lesson_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    return _lesson_form(course, lesson, editor.lesson_values(lesson))


def _lesson_form(course: Course, lesson: Lesson | None, initial: dict):
    form = _lesson_form_for(course, None if request.method == "POST" else initial)
    context: dict[str, object] = {"course": course, "lesson": lesson, "words_per_minute": WORDS_PER_MINUTE}
    if _preview_requested():
        context["preview"] = render_markdown(form.body.data, 2)  # as under the lesson title
        context["preview_reading"] = (word_count(form.body.data), minutes_to_read(form.body.data))
        try:
            context["preview_quiz"] = quiz.quiz_of(form.body.data)
        except quiz.QuizError as error:
            context["preview_quiz_error"] = f"The quiz cannot be used: {error}"
    elif request.method == "POST":
        try:
            saved = editor.save_lesson(course, editing.form_values(form), actor=current_user, existing=lesson)
        except editor.EditError as error:
            return editing.refused(form, error, "practice/courses/lesson.html", **context)
        return editing.saved(f"Saved the lesson “{saved.title}”.", "course_editor.edit_lesson", course_id=course.id,
                             lesson_id=saved.id)
    return render_template("practice/courses/lesson.html", form=form, **context)


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/move")
@practitioner_required
def move_lesson(course_id: int, lesson_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    return _moved(course, lesson.module.lessons, lesson, lesson.title)


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/delete")
@practitioner_required
def delete_lesson(course_id: int, lesson_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    editor.delete_lesson(lesson, actor=current_user)
    return editing.saved(f"Deleted the lesson “{lesson.title}”.", "course_editor.edit_course", course_id=course.id)


# --- resources ------------------------------------------------------------------------------------

@bp.route("/<int:course_id>/lessons/<int:lesson_id>/resources/new", methods=["GET", "POST"])
@practitioner_required
def new_resource(course_id: int, lesson_id: int):
    course = _course_or_404(course_id)
    return _resource_form(course, _lesson_or_404(course, lesson_id), None)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/resources/<int:resource_id>", methods=["GET", "POST"])
@practitioner_required
def edit_resource(course_id: int, lesson_id: int, resource_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    return _resource_form(course, lesson, _resource_or_404(lesson, resource_id))


def _resource_or_404(lesson: Lesson, resource_id: int) -> LessonResource:
    resource = next((r for r in lesson.resources if r.id == resource_id), None)
    if resource is None:
        abort(404, "We couldn't find that resource.")
    return resource


def _resource_form(course: Course, lesson: Lesson, resource: LessonResource | None):
    form = ResourceForm() if request.method == "POST" else ResourceForm(data=editor.resource_values(resource))
    context: dict[str, object] = {"course": course, "lesson": lesson, "resource": resource}
    if _preview_requested():
        context["preview"] = render_markdown(form.body.data, 2)  # as under the resource title
    elif request.method == "POST":
        try:
            saved = editor.save_resource(lesson, editing.form_values(form), actor=current_user, existing=resource)
        except editor.EditError as error:
            return editing.refused(form, error, "practice/courses/resource.html", **context)
        return editing.saved(f"Saved the resource “{saved.title}”.", "course_editor.edit_lesson", course_id=course.id,
                             lesson_id=lesson.id)
    return render_template("practice/courses/resource.html", form=form, **context)


@bp.post("/<int:course_id>/lessons/<int:lesson_id>/resources/<int:resource_id>/delete")
@practitioner_required
def delete_resource(course_id: int, lesson_id: int, resource_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    resource = _resource_or_404(lesson, resource_id)
    editor.delete_resource(resource, actor=current_user)
    return editing.saved(f"Deleted the resource “{resource.title}”.", "course_editor.edit_lesson", course_id=course.id,
                         lesson_id=lesson.id)


# --- enrolments -----------------------------------------------------------------------------------

@bp.route("/<int:course_id>/enrolments", methods=["GET", "POST"])
@practitioner_required
def enrolments(course_id: int):
    course = _course_or_404(course_id)
    form = GrantForm()
    if request.method == "POST":
        try:
            enrollment = editor.grant_access(course, form.email.data, actor=current_user, now=utcnow())
        except editor.EditError as error:
            return editing.refused(form, error, "practice/courses/enrolments.html", **_enrolment_context(course))
        return editing.saved(f"{enrollment.patient.full_name} now has access and has been sent a welcome email.",
                             "course_editor.enrolments", course_id=course.id)
    return render_template("practice/courses/enrolments.html", form=form, **_enrolment_context(course))


def _enrolment_context(course: Course) -> dict:
    return {"course": course, "rows": service.course_enrolments(course), "counts": service.completed_counts(course),
            "total": len(course.lessons)}


@bp.get("/<int:course_id>/enrolments/<int:enrollment_id>")
@writes  # an audited read: its audit row is written with it
@practitioner_required
def enrolment(course_id: int, enrollment_id: int):
    course = _course_or_404(course_id)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.course_id != course.id:
        abort(404, "We couldn't find that enrolment.")
    progress = service.progress_by_lesson(enrollment.patient_id, course)
    record("view", "course_progress", enrollment.id, actor=current_user, patient_id=enrollment.patient_id)
    db.session.commit()
    return render_template("practice/courses/enrolment.html", course=course, enrollment=enrollment,
                           progress_rows=progress, summary=service.progress_of(course, progress),
                           now=utcnow())
