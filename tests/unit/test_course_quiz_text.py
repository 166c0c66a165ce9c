"""The module quiz as written in a lesson (a ```quiz block): parsing, the editor's messages for a
quiz that cannot be used, and grading a posted form. Also the reading time counted from the words."""
from __future__ import annotations

import re

import pytest

from app.courses import quiz
from app.courses.reading import WORDS_PER_MINUTE, minutes_to_read, word_count
from app.intake import red_flags

LESSON = """Some lesson text.

```quiz
? Which receptor mainly keeps us awake?
- H2
+ H1
- H4
= H1 receptors in the brain carry histamine's
  wake-promoting effect.

? Where is DAO mostly found?
+ The gut lining
- The brain
= It works in the gut lining.
```

*Education, not medical advice.*
"""


def test_a_quiz_block_becomes_questions_with_one_right_answer_each():
    found = quiz.quiz_of(LESSON)
    assert [q.text for q in found.questions] == ["Which receptor mainly keeps us awake?", "Where is DAO mostly found?"]
    first = found.questions[0]
    assert first.options == ("H2", "H1", "H4") and first.answer == "H1"
    assert first.explanation == "H1 receptors in the brain carry histamine's wake-promoting effect."


def test_a_lesson_without_a_quiz_block_has_no_quiz():
    assert quiz.quiz_of("Text\n\n```python\n? not a quiz\n```") is None


@pytest.mark.parametrize(("text", "message"), [
    ("- H1\n", "Line 1: start the quiz with a question"),
    ("? Q\n+ A\n= Why\n", "needs 2 to 6 answers"),
    ("? Q\n- A\n- B\n= Why\n", "needs exactly one right answer, marked with “+”; it has 0"),
    ("? Q\n+ A\n+ B\n= Why\n", "it has 2"),
    ("? Q\n+ A\n- B\n", "needs an explanation"),
    ("?\n+ A\n- B\n= Why\n", "has no text after the “?”"),
    ("stray text\n", "Line 1: begin the line with “?”"),
    ("".join(f"? Q{n}\n+ A\n- B\n= Why\n\n" for n in range(11)), "at most 10 questions"),
])
def test_a_quiz_that_cannot_be_used_says_where_and_why(text, message):
    with pytest.raises(quiz.QuizError, match=re.escape(message)):
        quiz.parse(text)


def test_two_quiz_blocks_in_one_lesson_are_refused():
    block = "```quiz\n? Q\n+ A\n- B\n= Why\n```\n\n"
    with pytest.raises(quiz.QuizError, match="one quiz"):
        quiz.quiz_of(block + block)


def test_question_lines_are_numbered_as_in_the_lesson():
    with pytest.raises(quiz.QuizError, match="The question on line 4 needs an explanation"):
        quiz.quiz_of("Intro\n\n```quiz\n? Q\n+ A\n- B\n```\n")


def test_grading_marks_right_wrong_and_unanswered():
    found = quiz.quiz_of(LESSON)
    graded = quiz.grade(found, {"q1": "1", "q2": "1"})
    assert [item.right for item in graded.marked] == [True, False]
    assert (graded.right, graded.total, graded.unanswered) == (1, 2, 0)
    partly = quiz.grade(found, {"q2": "0"})
    assert [item.chosen for item in partly.marked] == [None, 0] and (partly.right, partly.unanswered) == (1, 1)


@pytest.mark.parametrize("value", ["3", "-1", "one", "1.0"])
def test_an_answer_that_is_not_one_of_the_choices_is_refused(value):
    with pytest.raises(quiz.QuizError, match="Question 1: choose one of the answers shown"):
        quiz.grade(quiz.quiz_of(LESSON), {"q1": value})


def test_reading_time_is_words_at_220_a_minute_rounded_half_up():
    assert WORDS_PER_MINUTE == 220
    assert minutes_to_read(" ".join(["word"] * 329)) == 1
    assert minutes_to_read(" ".join(["word"] * 330)) == 2
    assert minutes_to_read(" ".join(["word"] * 2200)) == 10
    assert minutes_to_read("") == 1


def test_link_targets_markup_and_fences_are_not_words():
    assert word_count("**Bold** [the NHS page](https://www.nhs.uk/conditions/anaphylaxis/) <mark>x</mark>") == 5
    assert word_count("```quiz\n? Q\n```") == 1
    assert word_count("don't stop, vitamin B6 and mid-morning") == 6


def test_the_emergency_placeholder_counts_the_steps_it_stands_for():
    steps = word_count(" ".join((red_flags.EMERGENCY_TITLE, *red_flags.EMERGENCY_STEPS)))
    assert word_count("Intro here\n\n{{emergency-steps}}") == 2 + steps
