"""What the practitioner's calendar says of each visit's intake: its state and its safety flags.

One query for any number of appointments (``service.latest_by_appointment``); the flags are the
summary's own (``practitioner_flags.practitioner_flags``), so the calendar and the summary can never disagree.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.clock import utcnow
from app.intake.answers import enabled_answers
from app.intake.practitioner_flags import Flag, practitioner_flags
from app.intake.questionnaire import get_questionnaire
from app.intake.service import latest_by_appointment, patient_today
from app.models.scheduling import Appointment

# Short names for the calendar's badges; the flag's full text is the badge's title. A flag without one
# here shows its key in words, so a new flag is never dropped from the calendar.
SHORT = {"opioid": "Opioid + LDN", "beta_blocker_ace": "Beta-blocker / ACE", "pregnancy": "Pregnancy",
         "no_auto_injector": "No auto-injector", "weight_loss": "Weight loss", "tryptase": "Tryptase",
         "opioid_recent": "Recent opioid", "liver_kidney": "Liver / kidney", "mastocytosis_signs": "Mastocytosis signs",
         "under_18": "Under 18", "tryptase_over_20": "Tryptase > 20", "tryptase_hat": "Tryptase >= 8"}


@dataclass(frozen=True)
class IntakeBadge:
    state: str  # "complete", "started", "missing", "not_needed", "retained"
    label: str
    flags: tuple[Flag, ...] = ()
    response_id: int | None = None  # the intake read to make this badge (audited by the caller)

    @property
    def flag_badges(self) -> list[tuple[str, str]]:
        """(short name, full text) of each flag."""
        return [(SHORT.get(f.key, f.key.replace("_", " ").capitalize()), f.text) for f in self.flags]


def intake_badges(appointments: Sequence[Appointment]) -> dict[int, IntakeBadge]:
    """Each appointment's badge, by appointment id."""
    # A deleted account's record is read only at /practice/retained (audited there): no flags from it here.
    latest = latest_by_appointment([a.id for a in appointments if a.retained_patient_id is None])
    badges = {}
    now = utcnow()  # her age for the under-18 flag is counted on her own calendar day, as on her pages
    for appointment in appointments:
        if appointment.retained_patient_id is not None:
            badges[appointment.id] = IntakeBadge("retained", "Account deleted: record kept")
            continue
        response = latest.get(appointment.id)
        if response is None:
            badges[appointment.id] = (IntakeBadge("missing", "No intake yet")
                                      if appointment.consultation_type.intake_required
                                      else IntakeBadge("not_needed", "No intake needed"))
            continue
        shown = enabled_answers(get_questionnaire(response.questionnaire_version), response.answers)
        badges[appointment.id] = IntakeBadge(
            "complete" if response.is_complete else "started",
            "Intake complete" if response.is_complete else "Intake started",
            practitioner_flags(shown, patient_today(appointment.patient, now) if appointment.patient else now.date()),
            response.id)
    return badges
