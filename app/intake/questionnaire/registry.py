"""Every version of the questionnaire, by its version string. A released version is never edited in
place: stored answers name the version they were given against, so a change is a new module here."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from app.intake.questionnaire.model import Questionnaire
from app.intake.questionnaire.v2026_1 import build_2026_1
from app.intake.questionnaire.v2026_2 import build_2026_2
from app.intake.questionnaire.v2026_3 import build_2026_3

CURRENT_VERSION = "2026.3"  # 2026.1 and 2026.2 stay: their stored answers name them

QUESTIONNAIRES: Mapping[str, Questionnaire] = MappingProxyType(
    {"2026.1": build_2026_1(), "2026.2": build_2026_2(), "2026.3": build_2026_3()})


def get_questionnaire(version: str | None = None) -> Questionnaire:
    """The questionnaire for ``version`` (default: the current one). KeyError if unknown."""
    key = CURRENT_VERSION if version is None else version
    try:
        return QUESTIONNAIRES[key]
    except KeyError:
        raise KeyError(f"Unknown questionnaire version {key!r}") from None
