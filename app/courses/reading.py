"""Reading time of a lesson, from its words: about 220 words a minute for adults reading
non-fiction on a screen (Brysbaert 2019, J Mem Lang 109:104047, puts silent reading of English
non-fiction at about 238 words a minute; health text read with care is slower, hence 220).

Pure: Markdown text in, minutes out. Link targets, HTML tags, the emergency-steps placeholder and
Markdown punctuation are not words; what a patient reads is. The emergency steps the placeholder
stands for are counted (they are read), and so is a module quiz.
"""
from __future__ import annotations

import math
import re

from app.intake import red_flags

WORDS_PER_MINUTE = 220
_FENCE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")


def word_count(markdown: str | None) -> int:
    text = markdown or ""
    placeholders = text.count("{{emergency-steps}}")
    text = text.replace("{{emergency-steps}}", " ")
    text = _URL.sub(" ", _TAG.sub(" ", _LINK_TARGET.sub("]", _FENCE.sub(" ", text))))
    steps = " ".join((red_flags.EMERGENCY_TITLE, *red_flags.EMERGENCY_STEPS))
    return len(_WORD.findall(text)) + placeholders * len(_WORD.findall(steps))


def minutes_to_read(markdown: str | None, words_per_minute: int = WORDS_PER_MINUTE) -> int:
    """Whole minutes, rounded half up, at least 1 (a lesson page always takes a moment)."""
    return max(1, math.floor(word_count(markdown) / words_per_minute + 0.5))
