"""What the messages need to know about a patient's intake, asked of the intake package lazily.

Notifications ask three things about one appointment: is its intake complete, which visit
sensitivities did the patient tell us, and where does she fill the intake in. The intake package
(app.intake.service / app.intake.summary) answers them; it is imported only when asked, so a build
without it still sends every message: the intake then counts as complete (no reminder sent on a guess),
the recap is empty and the link is the patient's account page. A failure inside the intake code is
logged and treated the same way, inside a savepoint, so it never stops the appointment reminder.
"""
from __future__ import annotations

import importlib
import logging
from types import ModuleType

from app.clock import utcnow
from app.extensions import db
from app.models.scheduling import Appointment

log = logging.getLogger("homeostasis.notify")


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
            return None  # the intake package (or this module of it) is not part of this build
        raise


def _ask(question, fallback):
    try:
        with db.session.begin_nested():
            return question()
    except Exception:  # noqa: BLE001 - the reminder must still go out; the error is logged
        log.exception("intake lookup failed; treating it as %r", fallback)
        return fallback


def intake_is_complete(appointment: Appointment) -> bool:
    if not appointment.consultation_type.intake_required:
        return True
    service = _module("app.intake.service")
    if service is None:
        return True
    return _ask(lambda: not service.needs_intake(appointment, utcnow()), True)


def visit_sensitivities(appointment: Appointment) -> list[str]:
    """What the patient asked us to prepare (labels, then her own words), from her latest answers."""
    service, summary = _module("app.intake.service"), _module("app.intake.summary")
    if service is None or summary is None:
        return []

    def lookup() -> list[str]:
        state = service.state(appointment, utcnow())
        choices = summary.sensitivities(state.questionnaire, state.answers)
        return [*choices.labels, *([choices.detail] if choices.detail else [])]

    return _ask(lookup, [])


def intake_path(appointment: Appointment) -> str:
    if _module("app.intake.service") is None:
        return "/account"
    return f"/account/intake/{appointment.id}"
