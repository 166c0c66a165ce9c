"""Stored intake answers as FHIR R5 resources (plain dicts; the mapping itself is in ``fhir``)."""
from __future__ import annotations

from app.intake.fhir import questionnaire_resource, response_resource
from app.intake.questionnaire import get_questionnaire
from app.models.intake import IntakeResponse, IntakeStatus

FHIR_JSON = "application/fhir+json"
# Our status -> FHIR QuestionnaireResponse.status (FHIR spells in-progress with a hyphen).
_STATUS: dict[str, str] = {IntakeStatus.COMPLETED: "completed", IntakeStatus.AMENDED: "amended"}


def questionnaire_json(base_url: str, version: str | None = None) -> dict:
    return questionnaire_resource(get_questionnaire(version), base_url)


def response_json(response: IntakeResponse, base_url: str) -> dict:
    """One stored version; answers to items its questionnaire version hides are left out."""
    return response_resource(
        get_questionnaire(response.questionnaire_version), response.answers,
        response_id=str(response.id), patient_ref=f"Patient/{response.patient_id}",
        authored=response.completed_at if response.status != IntakeStatus.IN_PROGRESS and response.completed_at
        else response.updated_at, status=_STATUS.get(response.status, "in-progress"), base_url=base_url)
