"""What the messages need to know about a patient's intake, asked of the intake package.

Notifications ask three things about one appointment: is its intake complete, which visit
sensitivities did the patient tell us, and where does she fill the intake in. The intake package
(app.intake.service / app.intake.summary) answers them. An error there is not swallowed: it fails the
job (the worker logs it and the periodic sweep tries again), so a bug can never silently mean "no
reminder".
"""
from __future__ import annotations

from app.clock import utcnow
from app.intake import service, summary
from app.models.scheduling import Appointment


def intake_is_complete(appointment: Appointment) -> bool:
    if not appointment.consultation_type.intake_required:
        return True
    return not service.needs_intake(appointment, utcnow())


def visit_sensitivities(appointment: Appointment) -> list[str]:
    """What the patient asked us to prepare (labels, then her own words), from her latest answers."""
    state = service.state(appointment, utcnow())
    choices = summary.sensitivities(state.questionnaire, state.answers)
    return [*choices.labels, *([choices.detail] if choices.detail else [])]


def intake_path(appointment: Appointment) -> str:
    return f"/account/intake/{appointment.id}"
