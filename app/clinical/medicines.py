"""Medicine names as data: the opioids (generic and brand, app/data/opioids.txt, sources in its header)
and the medicines commonly taken for histamine or mast-cell symptoms (app/data/medicines.txt).

Pure. Names match free text as whole words, case-insensitively ("Oxycontin 10 mg", "co-dydramol 10/500",
"Tylenol with codeine"), never inside another word.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


def _names(filename: str) -> tuple[str, ...]:
    lines = (line.split("#", 1)[0].strip().lower() for line in (DATA / filename).read_text().splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


@lru_cache(maxsize=None)
def _pattern(filename: str) -> re.Pattern[str]:
    names = sorted(_names(filename), key=len, reverse=True)  # longest first: "tylenol with codeine"
    body = "|".join(r"\s+".join(re.escape(word) for word in name.split()) for name in names)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


def opioid_names() -> tuple[str, ...]:
    return _names("opioids.txt")


def opioids_in(text: str) -> list[str]:
    """The opioid names found in ``text``, in order, lower case (empty when none)."""
    return [" ".join(m.group(0).lower().split()) for m in _pattern("opioids.txt").finditer(text or "")]


def names_opioid(text: str) -> bool:
    return bool(opioids_in(text))


def names_medicine(text: str) -> bool:
    """A medicine from either list is named in ``text``."""
    return bool(_pattern("medicines.txt").search(text or "")) or names_opioid(text)
