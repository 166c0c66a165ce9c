"""The short quiz at the end of a module: written in the module's last lesson, inside a fenced block
whose info string is `quiz`, so the practitioner edits it with the lesson in the course editor.

    ```quiz
    ? Which receptor mainly keeps us awake?
    - H2
    + H1
    - H4
    = H1 receptors in the brain carry histamine's wake-promoting effect; that is why older
      antihistamines that reach the brain make people drowsy.
    ```

`?` starts a question, `-` is a wrong answer, `+` the right one (exactly one), `=` the explanation
shown after answering (a line that starts with none of these continues the line before). A blank
line between questions is optional.

Pure: text in, a Quiz out; a posted form in, a Graded result out. Nothing is stored: a patient's
answers exist only in the request that grades them, so no score is ever seen by anyone else.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt

MAX_QUESTIONS = 10
MAX_OPTIONS = 6
FENCE_INFO = "quiz"
_parser = MarkdownIt("commonmark")


class QuizError(ValueError):
    """The quiz text cannot be used; the message says where and why, for the editor."""


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...]
    correct: int
    explanation: str

    @property
    def answer(self) -> str:
        return self.options[self.correct]


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Marked:
    question: Question
    chosen: int | None  # None: not answered

    @property
    def right(self) -> bool:
        return self.chosen == self.question.correct


@dataclass(frozen=True)
class Graded:
    marked: tuple[Marked, ...]

    @property
    def right(self) -> int:
        return sum(1 for item in self.marked if item.right)

    @property
    def total(self) -> int:
        return len(self.marked)

    @property
    def unanswered(self) -> int:
        return sum(1 for item in self.marked if item.chosen is None)


def field_name(number: int) -> str:
    """The form field of question `number` (1-based)."""
    return f"q{number}"


def quiz_blocks(markdown: str | None) -> list[tuple[str, int]]:
    """Each ```quiz block's text with the (1-based) line its content starts on."""
    return [(token.content, (token.map[0] + 2) if token.map else 1)
            for token in _parser.parse(markdown or "")
            if token.type == "fence" and token.info.strip() == FENCE_INFO]


def quiz_of(markdown: str | None) -> Quiz | None:
    """The lesson's quiz, or None when it has none. Raises QuizError for an unusable quiz or two."""
    blocks = quiz_blocks(markdown)
    if not blocks:
        return None
    if len(blocks) > 1:
        raise QuizError("A lesson can hold one quiz; this one has "
                        f"{len(blocks)} ```quiz blocks (the second starts on line {blocks[1][1] - 1}).")
    return parse(*blocks[0])


def parse(text: str, first_line: int = 1) -> Quiz:
    drafts: list[dict] = []
    last: tuple[dict, str, int] | None = None  # what a continuation line extends
    for offset, raw in enumerate(text.splitlines()):
        number, line = first_line + offset, raw.strip()
        if not line:
            last = None
            continue
        marker, rest = line[0], line[1:].strip()
        if marker == "?":
            drafts.append({"line": number, "text": rest, "options": [], "correct": [], "explanation": ""})
            last = (drafts[-1], "text", -1)
        elif marker in "-+=" and not drafts:
            raise QuizError(f"Line {number}: start the quiz with a question, a line beginning with “?”.")
        elif marker in "-+":
            draft = drafts[-1]
            if marker == "+":
                draft["correct"].append(len(draft["options"]))
            draft["options"].append(rest)
            last = (draft, "options", len(draft["options"]) - 1)
        elif marker == "=":
            drafts[-1]["explanation"] = rest
            last = (drafts[-1], "explanation", -1)
        elif last is not None:
            draft, key, index = last
            if key == "options":
                draft["options"][index] = f"{draft['options'][index]} {line}"
            else:
                draft[key] = f"{draft[key]} {line}".strip()
        else:
            raise QuizError(f"Line {number}: begin the line with “?” (question), “-” (wrong answer), "
                            "“+” (right answer) or “=” (explanation).")
    return Quiz(tuple(_question(draft) for draft in _checked(drafts)))


def _checked(drafts: list[dict]) -> list[dict]:
    if not drafts:
        raise QuizError("The quiz has no questions: start each one with a line beginning with “?”.")
    if len(drafts) > MAX_QUESTIONS:
        raise QuizError(f"A quiz can have at most {MAX_QUESTIONS} questions; this one has {len(drafts)}.")
    for draft in drafts:
        where = f"The question on line {draft['line']}"
        if not draft["text"]:
            raise QuizError(f"{where} has no text after the “?”.")
        if not 2 <= len(draft["options"]) <= MAX_OPTIONS:
            raise QuizError(f"{where} needs 2 to {MAX_OPTIONS} answers (lines beginning with “-” or “+”).")
        if any(not option for option in draft["options"]):
            raise QuizError(f"{where} has an empty answer.")
        if len(draft["correct"]) != 1:
            raise QuizError(f"{where} needs exactly one right answer, marked with “+”; "
                            f"it has {len(draft['correct'])}.")
        if not draft["explanation"]:
            raise QuizError(f"{where} needs an explanation, a line beginning with “=”.")
    return drafts


def _question(draft: dict) -> Question:
    return Question(draft["text"], tuple(draft["options"]), draft["correct"][0], draft["explanation"])


def grade(quiz: Quiz, form: Mapping[str, object]) -> Graded:
    """Mark the posted answers (field q1, q2, … = the chosen answer's index). A question left
    unanswered is marked as such; an answer that is not one of the choices raises QuizError."""
    marked = []
    for number, question in enumerate(quiz.questions, start=1):
        raw = str(form.get(field_name(number)) or "").strip()
        if not raw:
            marked.append(Marked(question, None))
            continue
        if not raw.isdigit() or int(raw) >= len(question.options):
            raise QuizError(f"Question {number}: choose one of the answers shown.")
        marked.append(Marked(question, int(raw)))
    return Graded(tuple(marked))
