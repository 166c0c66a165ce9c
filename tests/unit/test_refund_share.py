"""The refund a cancellation gives (app/scheduling/window.refund_share), as a table: the one rule behind the
cancellation itself, the confirmation pages, the patient's appointment page and the erasure's preview.
Cancelling at least the notice before the start refunds all that remains, later the practice's late share
of what was paid (never more than remains); the practitioner cancelling always refunds in full; a visit
moved once the notice had passed keeps that passed notice; nothing paid means nothing refunded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.window import RefundPolicy, RefundShare, refund_share

UTC = timezone.utc
START = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
PRICE = 12_000
NOTICE_48_LATE_25 = RefundPolicy(notice_hours=48, late_percent=25)
NOTICE_48_NONE_LATE = RefundPolicy(notice_hours=48, late_percent=0)
H, S = timedelta(hours=1), timedelta(seconds=1)


def share(policy=NOTICE_48_LATE_25, *, now, by_practitioner=False, paid=PRICE, refundable=PRICE, kept=None,
          starts_at=START):
    return refund_share(policy, starts_at=starts_at, now=now, by_practitioner=by_practitioner, paid_minor=paid,
                        refundable_minor=refundable, kept=kept)


@pytest.mark.parametrize(("case", "expected"), [
    # Around the full-refund notice (48 hours).
    (dict(now=START - 72 * H), RefundShare(full=True, minor=12_000)),
    (dict(now=START - 48 * H), RefundShare(full=True, minor=12_000)),  # the deadline itself still counts
    (dict(now=START - 48 * H + S), RefundShare(full=False, minor=3_000)),  # a second late: the 25% share
    (dict(now=START - 1 * H), RefundShare(full=False, minor=3_000)),
    (dict(policy=NOTICE_48_NONE_LATE, now=START - 48 * H), RefundShare(full=True, minor=12_000)),
    (dict(policy=NOTICE_48_NONE_LATE, now=START - 48 * H + S), RefundShare(full=False, minor=0)),  # 0%: nothing
    (dict(policy=RefundPolicy(notice_hours=0, late_percent=0), now=START), RefundShare(full=True, minor=12_000)),
    (dict(policy=RefundPolicy(notice_hours=0, late_percent=0), now=START + S), RefundShare(full=False, minor=0)),
    (dict(policy=RefundPolicy(notice_hours=48, late_percent=100), now=START - H), RefundShare(False, 12_000)),
    # The practitioner cancelling refunds all that remains, however late.
    (dict(now=START - H, by_practitioner=True), RefundShare(full=True, minor=12_000)),
    (dict(policy=NOTICE_48_NONE_LATE, now=START - H, by_practitioner=True), RefundShare(True, 12_000)),
    (dict(now=START - H, by_practitioner=True, refundable=5_000), RefundShare(full=True, minor=5_000)),
    # Part already refunded: the full refund is what remains, the late share never more than remains.
    (dict(now=START - 72 * H, refundable=7_000), RefundShare(full=True, minor=7_000)),
    (dict(now=START - H, refundable=7_000), RefundShare(full=False, minor=3_000)),
    (dict(now=START - H, refundable=1_000), RefundShare(full=False, minor=1_000)),
    (dict(now=START - H, refundable=0), RefundShare(full=False, minor=0)),
    # The late share rounds down to whole minor units.
    (dict(now=START - H, paid=999, refundable=999), RefundShare(full=False, minor=249)),
    # Nothing paid (payments off: pay at the appointment; or a hold not paid for): nothing to refund.
    (dict(now=START - 72 * H, paid=0, refundable=0), RefundShare(full=True, minor=0)),
    (dict(now=START - H, paid=0, refundable=0), RefundShare(full=False, minor=0)),
    (dict(now=START - H, paid=0, refundable=0, by_practitioner=True), RefundShare(full=True, minor=0)),
    # Moved once the notice had passed: the visit keeps that passed notice, however far off its new start.
    (dict(now=START - 72 * H, kept=START - 96 * H), RefundShare(full=False, minor=3_000)),
    (dict(now=START - 96 * H, kept=START - 96 * H), RefundShare(full=True, minor=12_000)),
    (dict(now=START - 72 * H, kept=START - 96 * H, by_practitioner=True), RefundShare(True, 12_000)),
    # A kept notice later than the new start's own one changes nothing: the earlier deadline counts.
    (dict(now=START - 47 * H, kept=START - 10 * H), RefundShare(full=False, minor=3_000)),
], ids=lambda value: repr(value) if isinstance(value, RefundShare) else "")
def test_refund_share(case, expected):
    assert share(**case) == expected


def test_the_notice_is_real_hours_across_a_clock_change():
    """24 hours before 12:00 on the day British Summer Time begins is 11:00 the day before, not 12:00."""
    london = ZoneInfo("Europe/London")
    starts_at = datetime(2026, 3, 29, 12, 0, tzinfo=london)
    policy = RefundPolicy(notice_hours=24, late_percent=0)
    assert share(policy, starts_at=starts_at, now=datetime(2026, 3, 28, 11, 0, tzinfo=london)).full
    assert share(policy, starts_at=starts_at, now=datetime(2026, 3, 28, 11, 30, tzinfo=london)) == RefundShare(False, 0)
