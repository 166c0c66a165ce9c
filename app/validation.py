"""Checking an editor's fields in a service, so the person sees every problem at once.

A `Checker` collects field -> first message; `done()` raises the editor's own error with all of them.
The schedule editors (app/scheduling/settings.py) and the course editor (app/courses/editor.py)
subclass it with their error and their own kinds of field (times, dates, slugs).
"""
from __future__ import annotations

import re

from app.refusals import Refusal

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # invisible, and PostgreSQL refuses NUL in text
# In a one-line field (a name, a title, an address line) line breaks and tabs are control characters too:
# such a value ends up in an email's Subject header, where a line break makes the message unbuildable.
LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
ONE_LINE = "Keep this on one line: remove line breaks, tabs and invisible control characters."
WHOLE = re.compile(r"[+-]?\d{1,12}")  # twelve digits is already out of every range: no giant ints
REQUIRED = object()


class FieldErrors(Refusal, ValueError):
    """The problems of one submitted form, field -> message. Its editor shows each on its field
    (app/web/editing.py); a view without the form answers them all as one message."""

    def __init__(self, errors: dict[str, str], status: int | None = None):
        super().__init__(" ".join(errors.values()), status)
        self.errors = errors

    def __str__(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.errors.items())


def clean(raw: object) -> str:
    return "" if raw is None else str(raw).strip()


class Checker:
    error: type[FieldErrors] = FieldErrors

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if self.errors:
            raise self.error(dict(self.errors))

    def text(self, field: str, raw: object, *, limit: int, required: str | None = None) -> str:
        """Trimmed text with Unix line ends, at most `limit` characters, no control characters."""
        value = clean(raw)
        if required and not value:
            self.fail(field, required)
        elif len(value) > limit:
            self.fail(field, f"Use at most {limit:,} characters (this has {len(value):,}).")
        elif CONTROL.search(value):
            self.fail(field, "Remove the invisible control characters from this text.")
        return value.replace("\r\n", "\n")

    def line(self, field: str, raw: object, *, limit: int, required: str | None = None) -> str:
        """Like `text`, for a one-line field: no line breaks, tabs or other control characters."""
        value = self.text(field, raw, limit=limit, required=required)
        if LINE_CONTROL.search(value):
            self.fail(field, ONE_LINE)
        return value

    def whole(self, field: str, raw: object, low: int, high: int, unit: str = "", *, blank=REQUIRED,
              message: str | None = None) -> int | None:
        """A whole number from `low` to `high`; `blank` (when given) stands for an empty field."""
        value = clean(raw)
        if value == "" and blank is not REQUIRED:
            return blank
        number = int(value) if WHOLE.fullmatch(value) else None
        if number is None or not low <= number <= high:
            what = f"a whole number of {unit}" if unit else "a whole number"
            self.fail(field, message or f"Enter {what} from {low} to {high}.")
            return None
        return number
