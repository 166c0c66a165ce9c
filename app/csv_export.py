"""The one CSV writer for every export (payments, audit log).

Cells a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) are
neutralised with a leading apostrophe (OWASP, "CSV Injection"): names and notes are typed by patients."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
