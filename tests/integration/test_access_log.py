"""Issue 20, point 7: password-reset and calendar-feed tokens stay out of gunicorn's access log. gunicorn
runs with the README's own options (logger class and log format, read from the README), and the log
written for requests that carry tokens holds none of them."""
from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from app.accounts import service
from app.extensions import db
from app.notify.feed import rotate_token

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def deployed_gunicorn_options() -> list[str]:
    """The options of the deployed gunicorn command (the web unit the README's Production recipe
    installs), without bind, workers and log files. systemd writes a literal % as %%."""
    unit = (ROOT / "deploy" / "systemd" / "homeostasis-web.service").read_text()
    command = re.search(r"^ExecStart=\S*gunicorn (.*?) wsgi:app", unit.replace("\\\n", " "), re.M | re.S).group(1)
    words = shlex.split(command.replace("%%", "%"))
    keep, skip = [], {"--workers", "--bind", "--access-logfile", "--error-logfile"}
    i = 0
    while i < len(words):
        if words[i] in skip:
            i += 2
            continue
        keep.append(words[i])
        i += 1
    return keep


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tokens_in_paths_are_not_written_to_the_access_log(app, migrated, make_user, make_practice, tmp_path):
    options = deployed_gunicorn_options()
    assert "--logger-class" in options and "--access-logformat" in options
    user = make_user("ada@example.com")
    reset = service.reset_token(user)
    practitioner, profile, _ = make_practice()
    feed = rotate_token(profile, actor=practitioner)
    db.session.commit()

    port, log_path = free_port(), tmp_path / "access.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STRIPE_", "MAIL_"))}
    env.update(DATABASE_URL=migrated, SECRET_KEY=app.config["SECRET_KEY"], HOMEOSTASIS_ENV="development",
               MAIL_BACKEND="console", RATELIMIT_ENABLED="false")
    process = subprocess.Popen([str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                                "--access-logfile", str(log_path), *options, "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert requests.get(f"{base}/auth/reset/{reset}", timeout=10).status_code == 200
        assert requests.get(f"{base}/practice/calendar/{feed}.ics", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = log_path.read_text()
    assert "/auth/reset/[token]" in log and "/practice/calendar/[token].ics" in log
    assert reset not in log and feed not in log
