"""Reading what the mailbox received: text and HTML bodies, and calendar attachments parsed with
vobject, a parser independent of the icalendar library that writes them."""
from __future__ import annotations

from email.message import EmailMessage

import vobject


def text(message: EmailMessage) -> str:
    """The plain-text body with the line endings it was written with (SMTP carries CRLF)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part else ""


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part else ""


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]


def ics_of(message: EmailMessage) -> str:
    parts = calendar_parts(message)
    assert len(parts) == 1, f"expected one calendar attachment, found {len(parts)}"
    return parts[0].get_content()


def calendar_of(message_or_text):
    """The parsed VCALENDAR of a message's one .ics attachment (or of .ics text)."""
    text = message_or_text if isinstance(message_or_text, str) else ics_of(message_or_text)
    return vobject.readOne(text)


def raw_line(ics: str, name: str) -> str:
    """The unfolded content line of a property, as written (to check e.g. the trailing Z of UTC)."""
    unfolded = ics.replace("\r\n ", "").replace("\n ", "")
    lines = [line for line in unfolded.splitlines() if line.split(":", 1)[0].split(";", 1)[0] == name]
    assert lines, f"no {name} line"
    return lines[0]


def subjects(messages: list[EmailMessage]) -> list[str]:
    return [str(m["Subject"]) for m in messages]
