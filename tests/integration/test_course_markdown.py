"""Lesson Markdown renders to safe HTML: scripts, event handlers and javascript: links come out inert,
external links get rel="noopener noreferrer", tables work. Also the demo course that seed-demo loads."""
from __future__ import annotations

import math
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.courses.demo_loader import load_demo_course
from app.courses.markdown import render
from app.courses.quiz import quiz_of
from app.courses.reading import word_count
from app.extensions import db
from app.intake import red_flags
from app.models.courses import Course, Lesson
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import build_course, enrol, lesson_url

ATTACKS = {
    "script": "<script>alert('x')</script>",
    "script in a paragraph": "Hello <script src=https://evil.example/x.js></script> there",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)><circle r=1></svg>",
    "div onclick": "<div onclick=\"alert(1)\" onmouseover='alert(2)'>hover</div>",
    "markdown javascript link": "[click](javascript:alert(1))",
    "html javascript link": "<a href=\"javascript:alert(1)\">click</a>",
    "mixed-case javascript link": "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "entity-encoded javascript link": "<a href=\"&#106;avascript:alert(1)\">click</a>",
    "data link": "<a href=\"data:text/html,<script>alert(1)</script>\">click</a>",
    "iframe": "<iframe src=\"https://evil.example\"></iframe>",
    "style": "<style>body{display:none}</style><p style=\"position:fixed\">x</p>",
    "form": "<form action=\"https://evil.example\"><input name=password></form>",
    "object": "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def assert_inert(html: str) -> None:
    found = elements(html)
    assert not {"script", "iframe", "style", "svg", "form", "input", "object", "embed"} & set(found.tags), found.tags
    assert not [name for name, _ in found.attributes if name.startswith("on") or name == "style"]
    urls = [value.strip().lower() for name, value in found.attributes if name in ("href", "src")]
    assert not [url for url in urls if url.startswith(("javascript:", "data:", "vbscript:"))], urls


@pytest.mark.parametrize("source", ATTACKS.values(), ids=ATTACKS.keys())
def test_dangerous_markdown_renders_inert(source):
    assert_inert(render(source))


def test_external_links_get_noopener_noreferrer_and_internal_links_do_not():
    html = render("[NHS](https://www.nhs.uk/conditions/anaphylaxis/) and [the course](/courses/x) and "
                  "<a href=\"https://example.org\" rel=\"opener\">raw</a>")
    assert '<a href="https://www.nhs.uk/conditions/anaphylaxis/" rel="noopener noreferrer">NHS</a>' in html
    assert '<a href="/courses/x">the course</a>' in html
    assert '<a href="https://example.org" rel="noopener noreferrer">raw</a>' in html


def test_images_from_other_hosts_lose_their_source():
    assert render("![x](https://tracker.example/p.gif)") == '<p><img alt="x"></p>\n'


def test_the_emergency_placeholder_is_read_from_the_red_flag_module_at_render_time(monkeypatch):
    monkeypatch.setattr(red_flags, "EMERGENCY_STEPS", ("First <this>", "Then that"))
    html = str(render("Before.\n\n{{emergency-steps}}\n\nIn code: `{{emergency-steps}}`"))
    assert "<ol><li>First &lt;this&gt;</li><li>Then that</li></ol>" in html
    assert "<code>{{emergency-steps}}</code>" in html  # a code span stays literal, for documentation


def test_a_quiz_block_is_not_shown_as_text():
    assert "quiz" not in str(render("Text.\n\n```quiz\n? Q\n+ A\n- B\n= Why\n```\n"))


def test_tables_headings_and_emphasis_render():
    html = render("### Foods\n\n| Food | Why |\n|---|---|\n| Rice | **fresh** |\n\n> Key points")
    assert "<h3>Foods</h3>" in html and "<th>Food</th>" in html and "<td><strong>fresh</strong></td>" in html
    assert "<blockquote>" in html


def test_a_lesson_page_serves_a_hostile_body_inert(client, auth, make_user, app):
    course = build_course()
    lesson = course.lessons[1]
    lesson.body = "Before.\n\n" + "\n\n".join(ATTACKS.values()) + "\n\nAfter."
    db.session.commit()
    patient = make_user("ada@example.com")
    enrol(patient, course)
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    page = client.get(lesson_url(lesson.slug)).get_data(as_text=True)
    body = page.split('<div class="prose lesson-body">', 1)[1].split('<div class="lesson-complete', 1)[0]
    assert "Before." in body and "After." in body
    assert_inert(body)


def test_seed_demo_loads_the_published_course_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    course = db.session.scalar(select(Course))
    assert course.published and course.title == "The Histamine Intolerance Course"
    lessons = course.lessons
    assert len(course.modules) == 6 and len(lessons) == 16
    # The first lesson and the two safety lessons are free (issue 23 point 15).
    assert [lesson.slug for lesson in lessons if lesson.preview] == [
        "what-histamine-does", "when-to-see-a-doctor-now", "reintroduction-and-nutrition"]
    assert all("education, not medical advice" in lesson.body.strip().splitlines()[-1] for lesson in lessons)
    assert "Printable low-histamine food list" in [r.title for lesson in lessons for r in lesson.resources]
    assert any("naltrexone" in lesson.body.lower() for lesson in lessons)
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert db.session.scalar(select(db.func.count()).select_from(Lesson)) == 16


def test_every_demo_lesson_has_numbered_references_and_every_module_ends_with_a_quiz(app):
    course = load_demo_course()
    for lesson in course.lessons:
        references = lesson.body.split("### References", 1)[1]
        assert re.search(r"^1\. \S", references, re.MULTILINE), lesson.slug
    for module in course.modules:
        *others, last = module.lessons
        found = quiz_of(last.body)
        assert found is not None and 3 <= len(found.questions) <= 5, module.title
        assert all(quiz_of(lesson.body) is None for lesson in others), module.title


def test_demo_reading_times_come_from_the_words_and_the_landing_page_adds_them_up(app, client):
    course = load_demo_course()
    for lesson in course.lessons:
        assert lesson.minutes == max(1, math.floor(word_count(lesson.body) / 220 + 0.5)), lesson.slug
    db.session.commit()
    total = sum(lesson.minutes for lesson in course.lessons)
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert f"about {total} minutes" in " ".join(page.split())
    assert "about 99 minutes" not in page


def test_demo_lessons_show_the_emergency_steps_from_red_flags_not_their_own_copy(app):
    course = load_demo_course()
    first = course.lessons[0]
    assert "{{emergency-steps}}" in first.body
    text = unescape(str(render(first.body, 2)))
    positions = [text.index(f"<li>{step}</li>") for step in red_flags.EMERGENCY_STEPS]
    assert positions == sorted(positions)
    plan = next(r for lesson in course.lessons for r in lesson.resources
                if r.title == "Printable emergency action plan")
    assert "{{emergency-steps}}" in plan.body
    for lesson in course.lessons:  # the old, wrongly ordered copy is gone from every lesson
        assert "call your local emergency number (911 in the US) and use" not in lesson.body


def test_the_demo_course_carries_the_clinical_review_fixes(app):
    course = load_demo_course()
    bodies = {lesson.slug: lesson.body for lesson in course.lessons}
    assert "Keep eating gluten until coeliac disease has been tested for" in bodies["gut-testing-and-reading-results"]
    tryptase = bodies["tryptase-and-urine-tests"]
    assert "Hereditary alpha-tryptasemia" in tryptase and "8 ng/mL or higher" in tryptase
    assert "Mastocytosis" in tryptase and "above 20 ng/mL" in tryptase
    assert "Insect stings" in bodies["common-triggers"] and "Insect stings" in bodies["surprising-triggers"]
    assert "H1 receptors in the brain also carry most of histamine's wake-promoting effect" in bodies[
        "what-histamine-does"]
    medicines = bodies["medications-and-supplements"]
    assert "Carry two, always" in medicines and "expiry" in medicines
    assert "vivid dreams" in medicines and "pregnancy or breastfeeding" in medicines
    doctor = bodies["when-to-see-a-doctor-now"]
    for alarm in ("Losing weight without trying", "Blood in your stool", "Trouble swallowing", "Night sweats",
                  "Fainting during exercise", "Flushing that persists"):
        assert alarm in doctor
    titles = {r.title for lesson in course.lessons for r in lesson.resources}
    assert {"Printable emergency action plan", "Printable low-histamine shopping list", "A week of simple meal ideas",
            "Printable reintroduction worksheet", "Printable visit-preparation and test checklist"} <= titles


def test_headings_sit_under_the_title_whatever_level_was_typed():
    html = str(render("### What to record\n\ntext\n\n#### Daily\n\n### How to read it", top=2))
    assert "<h2>What to record</h2>" in html and "<h3>Daily</h3>" in html and "<h2>How to read it</h2>" in html
    assert "<h6>" in str(render("# a\n\n###### deep", top=2)) and "<h7" not in str(render("# a\n\n###### deep", top=2))
    assert "<h1>" in str(render("# Typed as is"))  # without a level, headings stay as typed


def test_a_lesson_page_outline_has_no_gap_after_its_title(client, auth, make_user, app):
    course = build_course()
    lesson = course.lessons[1]
    lesson.body = "Intro.\n\n### What to record\n\nText.\n\n### How to read it\n\nMore."
    db.session.commit()
    enrol(make_user("ada@example.com"), course)
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    page = client.get(lesson_url(lesson.slug)).get_data(as_text=True)
    main = page.split('<main', 1)[1].split("</main>", 1)[0]
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", main)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # never skips a level going down
