"""How long a deleted patient's clinical record is kept (app/privacy/retention.py), as a table: NHS England,
Records Management Code of Practice 2021, retention schedule: adults 8 years after the last contact;
children until the 25th birthday, or the 26th if 17 at the last contact; the practitioner's own years
where her law differs (US states commonly 7-10)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.privacy.retention import keep_until

UTC = timezone.utc
VISIT = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("last_contact", "years", "born", "expected", "basis"), [
    (VISIT, 8, None, datetime(2034, 12, 2, 15, 0, tzinfo=UTC), "adult"),  # no date of birth: the adult rule
    (VISIT, 8, date(1984, 6, 1), datetime(2034, 12, 2, 15, 0, tzinfo=UTC), "adult"),
    (VISIT, 10, date(1984, 6, 1), datetime(2036, 12, 2, 15, 0, tzinfo=UTC), "adult"),  # her own years
    (datetime(2028, 2, 29, 9, 0, tzinfo=UTC), 7, None, datetime(2035, 2, 28, 9, 0, tzinfo=UTC), "adult"),
    (VISIT, 8, date(2012, 3, 4), datetime(2037, 3, 4, tzinfo=UTC), "child"),  # 14: until the 25th birthday
    (VISIT, 8, date(2009, 3, 4), datetime(2035, 3, 4, tzinfo=UTC), "child"),  # 17: until the 26th birthday
    (VISIT, 8, date(2008, 12, 2), datetime(2034, 12, 2, 15, 0, tzinfo=UTC), "adult"),  # 18 that day: adult
    (VISIT, 8, date(2003, 1, 1), datetime(2034, 12, 2, 15, 0, tzinfo=UTC), "adult"),
    (VISIT, 10, date(2009, 3, 4), datetime(2036, 12, 2, 15, 0, tzinfo=UTC), "adult"),  # 10 years outlast the 26th
    (VISIT, 8, date(2020, 2, 29), datetime(2045, 2, 28, tzinfo=UTC), "child"),  # a 29 February birthday
    (VISIT, 8, date(2030, 1, 1), datetime(2034, 12, 2, 15, 0, tzinfo=UTC), "adult"),  # born after: ignored
])
def test_keep_until(last_contact, years, born, expected, basis):
    assert keep_until(last_contact, years, born) == (expected, basis)
