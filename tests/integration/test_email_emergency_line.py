"""Every email, text and HTML, ends with the emergency line from the one source (app/intake/red_flags.py):
the auto-injector without delay, then the emergency number."""
from __future__ import annotations

import re
from pathlib import Path

from app.intake import red_flags
from tests.support.web import post_form

EMAILS = Path(__file__).resolve().parents[2] / "templates" / "email"


def test_every_html_email_is_drawn_in_the_layout_that_carries_the_emergency_line():
    pages = [path for path in EMAILS.glob("*.html") if not path.name.startswith("_") and path.name != "layout.html"]
    assert pages, "no HTML email templates found"
    for path in pages:
        assert re.search(r'{%\s*extends\s+"email/layout.html"\s*%}', path.read_text()), path.name
    assert "red_flags.EMAIL_EMERGENCY_LINE" in (EMAILS / "layout.html").read_text()


def test_a_sent_email_carries_the_line_in_both_its_parts(client, make_user, mailbox):
    make_user("ada@example.com")
    mailbox.clear()
    post_form(client, "/auth/forgot-password", {"email": "ada@example.com"})
    message = mailbox.wait_for("ada@example.com")[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert red_flags.EMAIL_EMERGENCY_LINE in " ".join(text.split())
    assert red_flags.EMAIL_EMERGENCY_LINE in " ".join(html.split())
