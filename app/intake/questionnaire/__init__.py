"""The MCAS / histamine-intolerance intake, defined as versioned data.

Nothing here renders or stores anything: templates, validation (``answers``), scoring
(``scoring``) and the FHIR export (``fhir``) all read the same frozen tree, so a wording
change is one edit here. A released version is never edited in place: stored answers
name the version they were given against, so a change means a new version in
``QUESTIONNAIRES``.

Tree: ``Questionnaire`` -> ordered ``Step`` (one form page) -> ``Item``. Item kinds:

* ``choice``   single choice from ``options``
* ``multi``    several choices from ``options`` plus an optional free-text detail
* ``severity`` a symptom: severity 0-4 (``SEVERITY_OPTIONS``) and how often
  (``FREQUENCY_OPTIONS``); ``system`` names the organ system (``SYSTEMS``)
* ``text`` / ``longtext`` / ``date`` / ``boolean``
* ``decimal``  with ``min_value`` / ``max_value`` / ``unit``
* ``group``    a repeating list of rows whose columns are ``fields``

The package: ``model`` (the tree, the constants, ``check`` and the accessors), one module per version
(``v2026_1``, ``v2026_2``, ``v2026_3``: each builds on the one before) and ``registry`` (every version,
``CURRENT_VERSION``, ``get_questionnaire``). Callers import from here.
"""

from app.intake.questionnaire.model import (
    CRITERION_A_SYSTEMS,
    EMERGENCY_NOTICE,
    FREQUENCY_OPTIONS,
    KINDS,
    OPERATORS,
    RECALL_TWO_WEEKS,
    SEVERITY_MAX,
    SEVERITY_OPTIONS,
    SUDDEN_TOGETHER,
    SYMPTOM_STEP,
    SYSTEMS,
    YES_NO,
    EnableWhen,
    Item,
    Option,
    Questionnaire,
    Step,
    check,
    item,
    iter_items,
    step_of,
    symptom_items,
)
from app.intake.questionnaire.registry import CURRENT_VERSION, QUESTIONNAIRES, get_questionnaire

__all__ = [
    "CRITERION_A_SYSTEMS", "CURRENT_VERSION", "EMERGENCY_NOTICE", "FREQUENCY_OPTIONS", "KINDS", "OPERATORS",
    "QUESTIONNAIRES", "RECALL_TWO_WEEKS", "SEVERITY_MAX", "SEVERITY_OPTIONS", "SUDDEN_TOGETHER", "SYMPTOM_STEP",
    "SYSTEMS", "YES_NO", "EnableWhen", "Item", "Option", "Questionnaire", "Step", "check", "get_questionnaire", "item",
    "iter_items", "step_of", "symptom_items",
]
