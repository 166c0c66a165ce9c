"""gunicorn's access log without secrets: a password-reset link, the practitioner's calendar-feed address
and a waitlist leave link carry their token in the path, which the request line (`%(r)s`), the path
(`%(U)s`) and a Referer would otherwise write to the log. Run gunicorn with
`--logger-class app.accesslog.RedactingLogger` (the README's command does); every access-log field
then shows `[token]` in place of the token. gunicorn documents `logger_class` for this
(a subclass of gunicorn.glogging.Logger)."""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

# The paths whose next segment is a secret (app/web/auth.py, app/web/calendar_feed.py, app/web/waitlist.py).
SECRET_IN_PATH = re.compile(r"(/auth/reset/|/practice/calendar/|/waitlist/leave/)[^/?#\s\"]+?(\.ics)?(?=[/?#\s\"]|$)")


def redact(text: str) -> str:
    return SECRET_IN_PATH.sub(lambda m: f"{m.group(1)}[token]{m.group(2) or ''}", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
