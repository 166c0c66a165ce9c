"""Every CSV export neutralises cells a spreadsheet would run as a formula (OWASP "CSV Injection")."""
from __future__ import annotations

import csv
import io

import pytest

from app.csv_export import csv_text, safe_cell


@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Ada Lovelace", "Ada Lovelace"),
    ("O'Brien = fine", "O'Brien = fine"),
    ("", ""),
    (None, ""),
    (42, "42"),
])
def test_a_cell_that_would_be_a_formula_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_rows_read_back_as_written_apart_from_the_guard():
    text = csv_text(["name", "note"], [["=1+1", "a, \"quoted\"\nline"], ["Rosa", None]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "note"], ["'=1+1", "a, \"quoted\"\nline"], ["Rosa", ""]]
