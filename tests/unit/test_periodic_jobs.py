"""The periodic jobs are declared once (app/jobs.py's PERIODIC): the README's table is that table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.jobs import PERIODIC, describe, markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readmes_table_of_periodic_jobs_is_the_declared_table():
    text = README.read_text()
    found = re.search(r"<!-- periodic-jobs:[^\n]*-->\n(.*?)\n<!-- /periodic-jobs -->", text, re.S)
    assert found, "README.md has no periodic-jobs table"
    assert found.group(1) == markdown_table(), (
        "README.md's table of periodic jobs differs from app/jobs.py's PERIODIC; paste "
        "app.jobs.markdown_table() between the periodic-jobs comments")


def test_each_job_is_named_once_and_says_when_it_runs():
    names = [job.name for job in PERIODIC]
    assert len(names) == len(set(names))
    assert {job.name: job.when for job in PERIODIC} == {
        "send-outbox": "every minute", "expire-holds": "every minute", "process-waitlist": "every 5 minutes",
        "retry-refunds": "every 5 minutes", "send-reminders": "every 5 minutes",
        "send-daily-agenda": "every 15 minutes", "send-diary-reminders": "every 15 minutes",
        "sync-calendars": "every 15 minutes", "purge": "daily at 03:17 UTC"}
    assert {job.queue for job in PERIODIC} == {"huey", "calendar_huey"}


@pytest.mark.parametrize("schedule", ["0 3 * * 1", "*/5 */2 * * *", "1,2 * * * *", "* *"])
def test_a_schedule_that_has_no_words_is_refused(schedule):
    with pytest.raises(ValueError):
        describe(schedule)
