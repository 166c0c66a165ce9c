"""Until when a patient may cancel or reschedule a confirmed appointment online, per consultation
type. Pure: plain values in, a decision out; "now" is a parameter. Cut-offs are elapsed hours between
UTC instants, so "24 hours before" is 24 real hours even across a DST change (the deadline's wall-clock
time then differs by an hour from the start's, and the pages show the deadline itself)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class Cutoffs:
    cancel_hours: int
    reschedule_hours: int

    @classmethod
    def of(cls, consultation_type, profile) -> Cutoffs:
        """The type's own cut-offs, falling back to the practice's: rescheduling closes at its reschedule
        notice, cancelling at the start (the refund share still depends on the cancellation notice)."""
        cancel = consultation_type.patient_cancel_cutoff_hours
        reschedule = consultation_type.patient_reschedule_cutoff_hours
        return cls(cancel_hours=0 if cancel is None else cancel,
                   reschedule_hours=profile.reschedule_notice_hours if reschedule is None else reschedule)

    # In UTC: Python subtracts a timedelta from a zoned datetime on the wall clock, which across a DST
    # change is an hour off real time.
    def cancel_deadline(self, starts_at: datetime) -> datetime:
        return starts_at.astimezone(timezone.utc) - timedelta(hours=self.cancel_hours)

    def reschedule_deadline(self, starts_at: datetime) -> datetime:
        return starts_at.astimezone(timezone.utc) - timedelta(hours=self.reschedule_hours)


def open_until(deadline: datetime, starts_at: datetime, now: datetime) -> bool:
    """Still allowed at `now`: up to and including the deadline, and never once the visit has begun."""
    return now <= deadline and now < starts_at


def cancel_deadline(cutoffs: Cutoffs, starts_at: datetime, kept: datetime | None = None) -> datetime:
    """When online cancelling closes: the type's cut-off before the start, or the deadline a move made
    inside the cut-off kept (`kept`), whichever is earlier."""
    own = cutoffs.cancel_deadline(starts_at)
    return own if kept is None else min(own, kept.astimezone(timezone.utc))


def may_cancel(cutoffs: Cutoffs, starts_at: datetime, now: datetime, kept: datetime | None = None) -> bool:
    return open_until(cancel_deadline(cutoffs, starts_at, kept), starts_at, now)


def kept_after_move(cutoffs: Cutoffs, old_start: datetime, now: datetime, kept: datetime | None) -> datetime | None:
    """The cancel deadline a visit keeps when the patient moves it at `now`: one it already kept stays;
    a move made once cancelling had closed keeps that (passed) deadline; otherwise None (the new start's
    own cut-off applies)."""
    if kept is not None:
        return kept
    if may_cancel(cutoffs, old_start, now):
        return None
    return cutoffs.cancel_deadline(old_start)


# The refund notice works the same way: cancelling at least N hours before the start refunds in full,
# later only the policy's late share, and a visit moved once that notice had passed keeps it.

def full_refund_deadline(starts_at: datetime, notice_hours: int, kept: datetime | None = None) -> datetime:
    own = starts_at.astimezone(timezone.utc) - timedelta(hours=notice_hours)
    return own if kept is None else min(own, kept.astimezone(timezone.utc))


def full_refund_due(starts_at: datetime, notice_hours: int, now: datetime, kept: datetime | None = None) -> bool:
    return now <= full_refund_deadline(starts_at, notice_hours, kept)


@dataclass(frozen=True)
class RefundPolicy:
    """The practice's refund rule for a cancellation: at least `notice_hours` before the start refunds in
    full, later `late_percent` of what was paid."""
    notice_hours: int
    late_percent: int

    @classmethod
    def of(cls, profile) -> RefundPolicy:
        return cls(notice_hours=profile.cancellation_notice_hours, late_percent=profile.late_cancel_refund_percent)


@dataclass(frozen=True)
class RefundShare:
    full: bool  # all that is still refundable comes back (the practitioner cancelled, or the notice was kept)
    minor: int  # the amount refunded; 0 when nothing was paid (pay at appointment, a hold not paid for)


def refund_share(policy: RefundPolicy, *, starts_at: datetime, now: datetime, by_practitioner: bool,
                 paid_minor: int = 0, refundable_minor: int = 0, kept: datetime | None = None) -> RefundShare:
    """What cancelling at `now` refunds, the one place the share is decided (the confirmation pages, the
    cancellation itself and the erasure's preview all ask here). The practitioner cancelling, or the patient
    with the full-refund notice kept, get back all that remains; later (or after moving a visit once the
    notice had passed, `kept`), the late share of what was paid, never more than remains."""
    if by_practitioner or full_refund_due(starts_at, policy.notice_hours, now, kept):
        return RefundShare(full=True, minor=refundable_minor)
    return RefundShare(full=False, minor=min(refundable_minor, paid_minor * policy.late_percent // 100))


def refund_notice_kept_after_move(old_start: datetime, notice_hours: int, now: datetime,
                                  kept: datetime | None) -> datetime | None:
    """The full-refund deadline a visit keeps when the patient moves it at `now` (as kept_after_move)."""
    if kept is not None:
        return kept
    if full_refund_due(old_start, notice_hours, now):
        return None
    return full_refund_deadline(old_start, notice_hours)


def may_reschedule(cutoffs: Cutoffs, starts_at: datetime, now: datetime) -> bool:
    return open_until(cutoffs.reschedule_deadline(starts_at), starts_at, now)


def closed_message(action: str, hours: int) -> str:
    """The patient-facing reason, also the API's 409 message."""
    return (f"Appointments of this type can be {action} online up to {hours} hours before they start. "
            "Please contact the practice.")
